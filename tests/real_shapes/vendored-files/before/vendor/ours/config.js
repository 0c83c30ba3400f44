const sessionSecret = "our-weak-secret";
module.exports = { sessionSecret };
