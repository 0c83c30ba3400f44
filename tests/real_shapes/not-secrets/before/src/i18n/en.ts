export default {
  settings: {
    secret: 'Secret',
    clientSecret: 'Client secret',
    apiSecret: 'API secret',
    jwtSecret: 'JWT secret',
  },
};
