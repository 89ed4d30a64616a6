import { after, before } from 'node:test';
import { startGateway, type GatewayOptions, type GatewayProcess } from './gateway.js';
import type { JavaHarness } from './java-harness.js';

export interface FileGateway {
  /** the gateway, once `before` has run */
  readonly gw: GatewayProcess;
  /** Registers a harness to be stopped after the file's tests, before the gateway stops. */
  track(h: JavaHarness): JavaHarness;
}

/** One gateway for a whole test file: started before its tests, stopped and removed after them. */
export function gatewayPerFile(options: GatewayOptions = {}): FileGateway {
  let gw: GatewayProcess | undefined;
  const harnesses: JavaHarness[] = [];
  before(async () => {
    gw = await startGateway(options);
  });
  after(async () => {
    for (const h of harnesses) await h.stop();
    await gw?.stop();
    gw?.cleanup();
  });
  return {
    get gw() {
      if (!gw) throw new Error('the gateway starts in before()');
      return gw;
    },
    track(h) {
      harnesses.push(h);
      return h;
    },
  };
}
