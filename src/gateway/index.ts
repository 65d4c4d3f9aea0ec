// The gateway layer's public surface: the connector boundary, configuration, templates, the
// XML-over-HTTPS connector and the simulator.
export type { ChargeOutcome, ChargeRequest, PaymentConnector, SecretDigits } from './connector.js';
export { gatewayConfigSchema, type GatewayConfig, type GatewayConfigInput } from './gateway-config.js';
export { GatewayConfigError } from './gateway-error.js';
export { createConnector, createXmlConnector, openGateway, parseGatewayConfig, type ConnectorDependencies, type OpenGateway } from './create-connector.js';
export { XmlConnector, type ConnectorEvent, type XmlConnectorOptions } from './xml-connector.js';
export { postHttps, tlsContext, type Transport, type TransportOptions, type TransportResult } from './https-transport.js';
export { loadTemplate, compileTemplate, type CompiledTemplate } from './template.js';
export { BUILTIN_TEMPLATES } from './builtin-templates.js';
export { attemptRef } from './attempt-ref.js';
export { lastFour, luhnValid } from './card-digits.js';
export {
  startGatewaySimulator,
  parseListen,
  SIMULATOR_FAULTS,
  isSimulatorFault,
  type GatewaySimulator,
  type GatewaySimulatorOptions,
  type LedgerStats,
  type SimulatorEvent,
  type SimulatorFault,
} from './simulator.js';
