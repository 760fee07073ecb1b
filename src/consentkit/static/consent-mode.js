/* consentkit: Google Consent Mode v2 defaults, loaded synchronously before any Google tag.
 * Defines the global gtag() the way Google's snippet does and sends the page's
 * consent state as the default; the banner sends 'update' after a choice. */
window.dataLayer = window.dataLayer || [];
function gtag() { dataLayer.push(arguments); }
(function () {
  try {
    var c = JSON.parse(document.getElementById('consentkit-config').textContent).consentMode;
    if (c && c.state) gtag('consent', 'default', Object.assign({}, c.state, { wait_for_update: 500 }));
  } catch (e) { /* no config: nothing to declare */ }
})();
