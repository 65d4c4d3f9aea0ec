// The built-in templates. `authorize-net` speaks Authorize.Net's public XML API
// (AnetApiSchema.xsd, createTransactionRequest with authCaptureTransaction); element order
// follows the schema's xs:sequence, which the API enforces. `generic` is a plain documented
// format for a customer's own translation layer (docs/gateway.md).
import type { TemplateSource } from './template-schema.js';

const ANET_RESPONSE_CODE = 'createTransactionResponse.transactionResponse.responseCode';
const ANET_ERROR_CODE = 'createTransactionResponse.transactionResponse.errors.error.errorCode';

/**
 * Authorize.Net response reason codes (their "Response Reason Codes" list) for the card's
 * fault, which the caller can correct by entering another card: answered as declines even
 * when responseCode is 3 (error). 6/37 card number, 7 expiry format, 8 expired, 17/28 card type
 * not accepted, 78 card code invalid.
 */
const ANET_CARD_ERRORS = ['6', '7', '8', '17', '28', '37', '78'];

export const AUTHORIZE_NET_TEMPLATE: TemplateSource = {
  name: 'authorize-net',
  description: 'Authorize.Net XML API: createTransactionRequest (authCaptureTransaction)',
  contentType: 'text/xml; charset=utf-8',
  body: [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<createTransactionRequest xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd">',
    '<merchantAuthentication><name>{{credentialName:25}}</name><transactionKey>{{credentialKey:16}}</transactionKey></merchantAuthentication>',
    '<refId>{{attemptRef}}</refId>',
    '<transactionRequest>',
    '<transactionType>authCaptureTransaction</transactionType>',
    '<amount>{{amount}}</amount>',
    '<currencyCode>{{currency}}</currencyCode>',
    '<payment><creditCard><cardNumber>{{pan}}</cardNumber><expirationDate>{{expiryYear}}-{{expiryMonth}}</expirationDate>{{#securityCode}}<cardCode>{{securityCode}}</cardCode>{{/securityCode}}</creditCard></payment>',
    '{{#reference}}<order><invoiceNumber>{{reference:20}}</invoiceNumber>{{#description}}<description>{{description:255}}</description>{{/description}}</order>{{/reference}}',
    '<customer><id>{{customerId:20}}</id></customer>',
    '{{#merchantId}}<userFields><userField><name>merchantId</name><value>{{merchantId:255}}</value></userField></userFields>{{/merchantId}}',
    '</transactionRequest>',
    '</createTransactionRequest>',
    '',
  ].join('\n'),
  response: {
    rules: [
      { when: { path: ANET_RESPONSE_CODE, equals: '1' }, outcome: 'approved' },
      { when: { path: ANET_RESPONSE_CODE, equals: '2' }, outcome: 'declined' },
      // 4: held for review. Not approved: the dialog must not announce success.
      { when: { path: ANET_RESPONSE_CODE, equals: '4' }, outcome: 'declined', reason: 'held-for-review' },
      {
        when: [
          { path: ANET_RESPONSE_CODE, equals: '3' },
          { path: ANET_ERROR_CODE, in: ANET_CARD_ERRORS },
        ],
        outcome: 'declined',
      },
      { when: { path: ANET_RESPONSE_CODE, equals: '3' }, outcome: 'error' },
      // No transactionResponse: the request itself failed (E00007 authentication, E00003 schema...).
      { when: { path: 'createTransactionResponse.messages.resultCode', equals: 'Error' }, outcome: 'error' },
      // ErrorResponse: what Authorize.Net answers to a request it cannot parse.
      { when: { path: 'ErrorResponse.messages.resultCode', exists: true }, outcome: 'error' },
    ],
    transactionId: 'createTransactionResponse.transactionResponse.transId',
    authCode: 'createTransactionResponse.transactionResponse.authCode',
    code: [ANET_ERROR_CODE, 'createTransactionResponse.transactionResponse.messages.message.code', 'createTransactionResponse.messages.message.code', 'ErrorResponse.messages.message.code'],
    reasons: {
      '2': 'do-not-honour',
      '3': 'refer-to-issuer',
      '4': 'pick-up-card',
      '5': 'invalid-amount',
      '6': 'invalid-card-number',
      '7': 'invalid-expiry',
      '8': 'expired-card',
      '11': 'duplicate-transaction',
      '17': 'card-type-not-accepted',
      '19': 'try-again-later',
      '28': 'card-type-not-accepted',
      '37': 'invalid-card-number',
      '44': 'security-code-mismatch',
      '45': 'security-code-mismatch',
      // Not an Authorize.Net code (their insufficient-funds declines arrive as 2): the
      // simulator's, after the ISO 8583 response code 51.
      '51': 'insufficient-funds',
      '65': 'security-code-mismatch',
      '78': 'invalid-security-code',
      '252': 'held-for-review',
      '253': 'held-for-review',
      E00003: 'invalid-request',
      E00007: 'authentication-failed',
      E00027: 'transaction-unsuccessful',
    },
  },
};

export const GENERIC_TEMPLATE: TemplateSource = {
  name: 'generic',
  description: 'toneguard generic XML: <PaymentRequest> in, <PaymentResponse> with Status approved|declined|error out',
  contentType: 'application/xml; charset=utf-8',
  body: [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<PaymentRequest version="1">',
    '<IdempotencyKey>{{idempotencyKey}}</IdempotencyKey>',
    '{{#merchantId}}<MerchantId>{{merchantId}}</MerchantId>{{/merchantId}}',
    '<CustomerId>{{customerId}}</CustomerId>',
    '{{#reference}}<Reference>{{reference}}</Reference>{{/reference}}',
    '{{#description}}<Description>{{description}}</Description>{{/description}}',
    '<Amount currency="{{currency}}" minor="{{amountMinor}}">{{amount}}</Amount>',
    '<Card><Number>{{pan}}</Number><Expiry>{{expiryYear}}-{{expiryMonth}}</Expiry>{{#securityCode}}<SecurityCode>{{securityCode}}</SecurityCode>{{/securityCode}}</Card>',
    '</PaymentRequest>',
    '',
  ].join('\n'),
  response: {
    rules: [
      { when: { path: 'PaymentResponse.Status', equals: 'approved' }, outcome: 'approved' },
      { when: { path: 'PaymentResponse.Status', equals: 'declined' }, outcome: 'declined' },
      { when: { path: 'PaymentResponse.Status', equals: 'error' }, outcome: 'error' },
    ],
    transactionId: 'PaymentResponse.TransactionId',
    authCode: 'PaymentResponse.AuthCode',
    code: 'PaymentResponse.ReasonCode',
    reasonPath: 'PaymentResponse.Reason',
    reasons: {},
  },
};

export const BUILTIN_TEMPLATES: Readonly<Record<string, TemplateSource>> = {
  'authorize-net': AUTHORIZE_NET_TEMPLATE,
  generic: GENERIC_TEMPLATE,
};
