/** Where the Pulsar standalone of `npm run pulsar:start` listens (same env vars as scripts/pulsar.mjs). */
export const pulsarServiceUrl = `pulsar://127.0.0.1:${process.env.PULSAR_BROKER_PORT ?? 6650}`;
export const pulsarAdminUrl = `http://127.0.0.1:${process.env.PULSAR_WEB_PORT ?? 8090}`;

/** A namespace name unique to this test run, so reruns never see an earlier run's topics. */
export const uniqueSuffix = (): string => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
