export enum ConfigKey {
  JWT_SECRET = 'JWT_SECRET',
  SESSION_SECRET = "session-secret",
}

export const jwtSecret: string = process.env.JWT_SECRET || 'dev-secret-change-me';

export function secretFor(key: ConfigKey): string | undefined {
  return process.env[key];
}
