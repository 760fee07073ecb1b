"""The consent banner in a real browser: headless Chromium driven by Playwright."""
