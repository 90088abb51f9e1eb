module.exports = {
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.venv', '<rootDir>/ui-tests', '<rootDir>/lib'],
  testPathIgnorePatterns: ['/node_modules/', '/ui-tests/', '/.venv/', '/lib/']
};
