/**
 * The extension template's browser check (`python -m jupyterlab.browser_check`), in Debian's
 * Chromium: open JupyterLab, wait until it is restored and the extension's panel exists, and
 * fail on any console error or page error.
 *
 *   node scripts/browser-check.js URL
 */
const path = require('path');
const { chromium } = require(
  path.join(__dirname, '..', 'ui-tests', 'node_modules', '@playwright/test')
);

(async () => {
  const url = process.argv[2];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']
  });
  const errors = [];
  const page = await browser.newPage();
  page.on('console', message => {
    if (message.type() === 'error') {
      errors.push(`console: ${message.text()}`);
    }
  });
  page.on('pageerror', error => errors.push(`page: ${error.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.jupyterapp !== undefined, null, { timeout: 60000 });
  await page.evaluate(() => window.jupyterapp.restored);
  // The extension activated: its panel is in the right side bar.
  await page.waitForSelector('#jp-modelarts-snapshot-panel', { state: 'attached', timeout: 30000 });
  await page.waitForTimeout(2000); // late errors (first polls) count too
  await browser.close();
  if (errors.length) {
    console.error(errors.join('\n'));
    process.exit(1);
  }
  console.log('browser check: JupyterLab loaded with the extension, no errors');
})().catch(error => {
  console.error(error);
  process.exit(1);
});
