const sessionSecret = "vendored-secret";
module.exports = { sessionSecret };
