import type { Sealer, Store } from '@allowance/store';
import type Provider from 'oidc-provider';
import type { LoginThrottle } from '../accounts/login-throttle.js';
import type { ServerConfig } from '../config.js';
import type { SessionCookies } from '../interactions/sign-in.js';

/** What the wallet's own pages (home, dashboard) need. */
export interface DashboardDependencies {
  store: Store;
  sealer: Sealer;
  config: ServerConfig;
  throttle: LoginThrottle;
  sessions: SessionCookies;
  /** For the names of connected apps. */
  provider: Provider;
  now: () => number;
}
