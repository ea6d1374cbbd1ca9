import type { ConformanceModule } from '../model/module.js';
import { accessTokenModule } from './access-token.js';
import { allowanceEndpointModule } from './allowance-endpoint.js';
import { anomalyModule } from './anomaly.js';
import { authorizeModule } from './authorize.js';
import { boundariesModule } from './boundaries.js';
import { confirmationModule } from './confirmation.js';
import { consentModule } from './consent.js';
import { detailsModule } from './details.js';
import { deviceModule } from './device.js';
import { dpopGatewayModule } from './dpop-gateway.js';
import { dpopTokenModule } from './dpop-token.js';
import { errorsModule } from './errors.js';
import { estimatesModule } from './estimates.js';
import { forwardingModule } from './forwarding.js';
import { gatewayAuthModule } from './gateway-auth.js';
import { gatewayBasicsModule } from './gateway-basics.js';
import { grantStatusModule } from './grant-status.js';
import { introspectionModule } from './introspection.js';
import { isolationModule } from './isolation.js';
import { ledgerModule } from './ledger.js';
import { metadataModule } from './metadata.js';
import { meteringModule } from './metering.js';
import { modelsEndpointModule } from './models-endpoint.js';
import { narrowingModule } from './narrowing.js';
import { pagesModule } from './pages.js';
import { parModule } from './par.js';
import { periodsModule } from './periods.js';
import { pricesModule } from './prices.js';
import { protectedResourceModule } from './protected-resource.js';
import { providerUrlsModule } from './provider-urls.js';
import { recoveryModule } from './recovery.js';
import { refreshModule } from './refresh.js';
import { registrationModule } from './registration.js';
import { rememberedConsentModule } from './remembered-consent.js';
import { reservationModule } from './reservation.js';
import { resolutionModule } from './resolution.js';
import { revocationModule } from './revocation.js';
import { secretsModule } from './secrets.js';
import { settlementModule } from './settlement.js';
import { tokenModule } from './token.js';
import { upstreamFailuresModule } from './upstream-failures.js';
import { walletCapModule } from './wallet-cap.js';

/** Every module, in the order the suite runs them (cheap, stateless ones first). */
export const MODULES: readonly ConformanceModule[] = [
  metadataModule,
  protectedResourceModule,
  registrationModule,
  authorizeModule,
  parModule,
  detailsModule,
  consentModule,
  pagesModule,
  narrowingModule,
  tokenModule,
  accessTokenModule,
  refreshModule,
  revocationModule,
  introspectionModule,
  grantStatusModule,
  gatewayBasicsModule,
  gatewayAuthModule,
  resolutionModule,
  forwardingModule,
  providerUrlsModule,
  upstreamFailuresModule,
  errorsModule,
  modelsEndpointModule,
  allowanceEndpointModule,
  meteringModule,
  settlementModule,
  ledgerModule,
  pricesModule,
  periodsModule,
  walletCapModule,
  estimatesModule,
  boundariesModule,
  reservationModule,
  isolationModule,
  anomalyModule,
  confirmationModule,
  // Last of core: it leaves no remembered consent behind, but runs after every consent-page module.
  rememberedConsentModule,
  dpopTokenModule,
  dpopGatewayModule,
  deviceModule,
  // Restarts the wallet, so it runs after everything that keeps state in it.
  recoveryModule,
  // Searches the logs for every credential the run used, so it runs last.
  secretsModule,
] as readonly ConformanceModule[];
