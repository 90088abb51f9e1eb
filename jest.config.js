module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/__tests__/**/*.spec.ts'],
  modulePathIgnorePatterns: ['<rootDir>/.venv', '<rootDir>/ui-tests', '<rootDir>/lib', '<rootDir>/jupyterlab_modelarts_snapshot/labextension'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: { module: 'commonjs', esModuleInterop: true, allowJs: true, isolatedModules: true } }],
    '^.+\\.jsx?$': ['ts-jest', { tsconfig: { module: 'commonjs', allowJs: true, isolatedModules: true } }]
  },
  transformIgnorePatterns: ['/node_modules/(?!(@jupyterlab|@lumino|lib0|y-protocols|yjs|@codemirror|@lezer|@jupyter)/)']
};
