/**
 * puppeteer's configuration for this project: never download a browser. The tests and browser bots
 * drive Debian's Chromium and Firefox ESR (installed by set-up), and installs must stay offline beyond
 * the npm registry.
 */
module.exports = { skipDownload: true };
