// The element order Authorize.Net's XML API enforces (AnetApiSchema.xsd: xs:sequence), for
// the parts a card charge uses. A request out of order is answered E00003 by the real API;
// the simulator does the same, so a custom template that would fail there fails here first.
import { XMLParser } from 'fast-xml-parser';

const SEQUENCES: Readonly<Record<string, readonly string[]>> = {
  createTransactionRequest: ['merchantAuthentication', 'clientId', 'refId', 'transactionRequest'],
  merchantAuthentication: ['name', 'transactionKey', 'sessionToken', 'password', 'impersonationAuthentication', 'fingerPrint', 'clientKey', 'accessToken', 'mobileDeviceId'],
  transactionRequest: [
    'transactionType',
    'amount',
    'currencyCode',
    'payment',
    'profile',
    'solution',
    'callId',
    'terminalNumber',
    'authCode',
    'refTransId',
    'splitTenderId',
    'order',
    'lineItems',
    'tax',
    'duty',
    'shipping',
    'taxExempt',
    'poNumber',
    'customer',
    'billTo',
    'shipTo',
    'customerIP',
    'cardholderAuthentication',
    'retail',
    'employeeId',
    'transactionSettings',
    'userFields',
    'surcharge',
    'merchantDescriptor',
    'subMerchant',
    'tip',
    'processingOptions',
    'subsequentAuthInformation',
    'otherTax',
    'shipFrom',
    'authorizationIndicatorType',
  ],
  payment: ['creditCard', 'bankAccount', 'trackData', 'encryptedTrackData', 'payPal', 'opaqueData', 'emv'],
  creditCard: ['cardNumber', 'expirationDate', 'cardCode', 'isPaymentToken', 'cryptogram', 'tokenRequestorName', 'tokenRequestorId', 'tokenRequestorEci'],
  order: ['invoiceNumber', 'description', 'discountAmount', 'taxIsAfterDiscount', 'totalTaxTypeCode', 'purchaserVATRegistrationNumber'],
  customer: ['type', 'id', 'email'],
  userFields: ['userField'],
  userField: ['name', 'value'],
};

/** Elements that must be present, by parent. */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  createTransactionRequest: ['merchantAuthentication', 'transactionRequest'],
  transactionRequest: ['transactionType', 'amount'],
  creditCard: ['cardNumber', 'expirationDate'],
};

const orderedParser = new XMLParser({ preserveOrder: true, ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false, ignoreDeclaration: true });

type OrderedNode = Record<string, unknown>;

function elementName(node: OrderedNode): string | null {
  for (const key of Object.keys(node)) if (key !== '#text' && key !== ':@') return key;
  return null;
}

function check(parent: string, children: unknown, problems: string[]): void {
  if (!Array.isArray(children)) return;
  const sequence = SEQUENCES[parent];
  let last = -1;
  const seen = new Set<string>();
  for (const item of children) {
    if (typeof item !== 'object' || item === null) continue;
    const name = elementName(item as OrderedNode);
    if (name === null) continue;
    seen.add(name);
    if (sequence !== undefined) {
      const index = sequence.indexOf(name);
      if (index < 0) problems.push(`${parent}: unexpected element ${name}`);
      else if (index < last) problems.push(`${parent}: ${name} out of order`);
      else last = index;
    }
    check(name, (item as OrderedNode)[name], problems);
  }
  for (const name of REQUIRED[parent] ?? []) if (!seen.has(name)) problems.push(`${parent}: ${name} missing`);
}

/** Problems with a createTransactionRequest's structure; empty when it is as the schema wants. */
export function authorizeNetStructureProblems(xml: string): string[] {
  const problems: string[] = [];
  let document: unknown;
  try {
    document = orderedParser.parse(xml);
  } catch {
    return ['not well-formed XML'];
  }
  if (!Array.isArray(document)) return ['not well-formed XML'];
  const root = document.find((n): n is OrderedNode => typeof n === 'object' && n !== null && elementName(n as OrderedNode) === 'createTransactionRequest');
  if (root === undefined) return ['root element is not createTransactionRequest'];
  check('createTransactionRequest', root.createTransactionRequest, problems);
  return problems;
}
