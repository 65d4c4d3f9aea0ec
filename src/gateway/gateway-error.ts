// Errors of the gateway layer's set-up (configuration and templates). Gateway faults during a
// charge are never thrown: they are `error` outcomes (connector.ts).
import { CodedError } from '../errors.js';

export type GatewayConfigErrorCode = 'gateway.config' | 'gateway.template';

/** A bad `gateway:` block or template; the message names the source and each bad field. */
export class GatewayConfigError extends CodedError<GatewayConfigErrorCode> {}
