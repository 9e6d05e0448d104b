// Applies the @nestjs/swagger CLI plugin in ts-jest, as nest-cli.json does for `nest build`.
const { before } = require('@nestjs/swagger/plugin');

module.exports = {
  name: 'nestjs-swagger-transformer',
  version: 1,
  factory: (compiler) => before({ introspectComments: true, classValidatorShim: true }, compiler.program),
};
