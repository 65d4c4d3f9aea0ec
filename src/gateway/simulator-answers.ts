// The simulator's answers, as Authorize.Net's createTransactionResponse and ErrorResponse
// samples and the generic template's PaymentResponse have them. They carry the card type and
// the last four digits only (accountNumber masked XXXX1234), never the card number.
import { randomInt } from 'node:crypto';
import { escapeXml } from './request-body.js';
import type { SimulatorDecision } from './simulator-rules.js';

export const ANET_HEAD =
  '<?xml version="1.0" encoding="utf-8"?>\n<createTransactionResponse xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd">';

export function cardType(last4Pan: string): string {
  if (last4Pan.startsWith('4')) return 'Visa';
  if (/^(5[1-5]|2[2-7])/.test(last4Pan)) return 'MasterCard';
  if (/^3[47]/.test(last4Pan)) return 'AmericanExpress';
  if (/^6(011|5)/.test(last4Pan)) return 'Discover';
  return 'Visa';
}

/** Authorize.Net answers (their createTransactionResponse samples), account number masked XXXX1234. */
export function authorizeNetAnswer(ref: string, decision: SimulatorDecision, transactionId: string, last4: string, type: string): string {
  const refId = `<refId>${escapeXml(ref)}</refId>`;
  const masked = `<accountNumber>XXXX${last4}</accountNumber><accountType>${type}</accountType>`;
  if (decision.kind === 'approve') {
    const authCode = String(randomInt(100000, 999999));
    return `${ANET_HEAD}${refId}<messages><resultCode>Ok</resultCode><message><code>I00001</code><text>Successful.</text></message></messages><transactionResponse><responseCode>1</responseCode><authCode>${authCode}</authCode><avsResultCode>Y</avsResultCode><cvvResultCode>M</cvvResultCode><cavvResultCode>2</cavvResultCode><transId>${transactionId}</transId><refTransID /><transHash /><testRequest>0</testRequest>${masked}<messages><message><code>1</code><description>This transaction has been approved.</description></message></messages><transHashSha2 /><networkTransId>${transactionId}SIM</networkTransId></transactionResponse></createTransactionResponse>`;
  }
  if (decision.kind === 'decline') {
    const top =
      decision.responseCode === '2'
        ? '<resultCode>Ok</resultCode><message><code>I00001</code><text>Successful.</text></message>'
        : '<resultCode>Error</resultCode><message><code>E00027</code><text>The transaction was unsuccessful.</text></message>';
    // Declines carry a transId of 0 for errors, a real one for issuer declines (as the API does).
    const id = decision.responseCode === '2' ? transactionId : '0';
    return `${ANET_HEAD}${refId}<messages>${top}</messages><transactionResponse><responseCode>${decision.responseCode}</responseCode><authCode /><avsResultCode>P</avsResultCode><cvvResultCode /><cavvResultCode /><transId>${id}</transId><refTransID /><transHash /><testRequest>0</testRequest>${masked}<errors><error><errorCode>${decision.code}</errorCode><errorText>${escapeXml(decision.text)}</errorText></error></errors><transHashSha2 /></transactionResponse></createTransactionResponse>`;
  }
  return '';
}

export function authorizeNetRequestError(code: string, text: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n<ErrorResponse xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd"><messages><resultCode>Error</resultCode><message><code>${code}</code><text>${escapeXml(text)}</text></message></messages></ErrorResponse>`;
}

export function genericAnswer(decision: SimulatorDecision, transactionId: string): string {
  const head = '<?xml version="1.0" encoding="UTF-8"?>\n<PaymentResponse version="1">';
  if (decision.kind === 'approve') return `${head}<Status>approved</Status><TransactionId>${transactionId}</TransactionId><AuthCode>${randomInt(100000, 999999)}</AuthCode></PaymentResponse>`;
  if (decision.kind === 'decline') return `${head}<Status>declined</Status><ReasonCode>${decision.code}</ReasonCode><Reason>${decision.reason}</Reason></PaymentResponse>`;
  return '';
}

/** Authorize.Net's answer to merchantAuthentication it does not know: HTTP 200 with E00007. */
export function authorizeNetAuthenticationError(): string {
  return `${ANET_HEAD}<messages><resultCode>Error</resultCode><message><code>E00007</code><text>User authentication failed due to invalid authentication values.</text></message></messages></createTransactionResponse>`;
}
