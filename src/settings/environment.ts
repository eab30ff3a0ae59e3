/**
 * The few values read from the environment outside settings.ini, in one place: every other part
 * of Distillery is given them (or the typed settings object) instead of reading `process.env`.
 * Settings keys themselves are overridden by `DISTILLERY_<KEY>` through `loadSettings`.
 */

/** DISTILLERY_RETRY_DELAY_SCALE shortens every back-off (tests set it to 0); 1 unless a number ≥ 0. */
export function retryDelayScale(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.DISTILLERY_RETRY_DELAY_SCALE;
  const n = raw === undefined ? 1 : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : 1;
}

/**
 * The demo's web port: DISTILLERY_WEB_PORT (the WEB_PORT override), else 1234. The demo writes it
 * into the settings.ini it generates, and `demo reset` checks that nothing answers there.
 */
export function demoWebPort(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.DISTILLERY_WEB_PORT ?? 1234);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : 1234;
}

/**
 * The environment the demo's settings are read with: development mode (the demo's debug sign-in
 * needs it) unless NODE_ENV says otherwise. Given to `loadSettings`; process.env is left as it is.
 */
export function demoEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, NODE_ENV: env.NODE_ENV ?? 'development' };
}
