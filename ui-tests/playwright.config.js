/**
 * Galata + Playwright, driving Debian's Chromium (Playwright cannot download a browser here),
 * against real processes: the ModelArts emulator and three JupyterLab servers with the extension
 * (one wired to the emulator, one with nothing configured, for the not-ready state, and one
 * with the server extension not loaded), and one without the package, as a ModelArts notebook
 * starts before it is installed (the first-day test installs it there).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const EMULATOR = 'http://127.0.0.1:8090';

module.exports = {
  ...baseConfig,
  timeout: 120 * 1000,
  workers: 1,
  fullyParallel: false,
  retries: process.env.CI ? 1 : 0,
  outputDir: 'test-results',
  use: {
    ...baseConfig.use,
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run'
      ]
    }
  },
  webServer: [
    {
      command:
        'jupyter modelarts-snapshot emulator --port 8090 --init-seconds 1 --creating-seconds 5',
      url: `${EMULATOR}/_emulator/requests`,
      timeout: 60 * 1000,
      reuseExistingServer: !process.env.CI
    },
    {
      command: 'jlpm start',
      url: 'http://localhost:8888/lab',
      timeout: 120 * 1000,
      reuseExistingServer: !process.env.CI
    },
    {
      command: 'jlpm start:not-ready',
      url: 'http://localhost:8889/lab',
      timeout: 120 * 1000,
      reuseExistingServer: !process.env.CI
    },
    {
      command: 'jlpm start:no-server-extension',
      url: 'http://localhost:8890/lab',
      timeout: 120 * 1000,
      reuseExistingServer: !process.env.CI
    },
    {
      // Builds the platform env the first time (a pip install of JupyterLab) and the wheel.
      command: 'bash day-one-server.sh',
      url: 'http://localhost:8891/lab',
      timeout: 600 * 1000,
      reuseExistingServer: false
    }
  ]
};
