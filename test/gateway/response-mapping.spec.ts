// Answers -> outcomes: Authorize.Net createTransactionResponse samples for responseCode 1-4 and
// request-level errors, the generic format, and what no rule knows.
import t from 'tap';
import { mapResponse, selectText, parseXml } from '../../src/gateway/response-mapping.js';
import { loadTemplate } from '../../src/gateway/template.js';

const anet = loadTemplate('authorize-net').response;
const generic = loadTemplate('generic').response;

/** Shaped like Authorize.Net's documented createTransactionResponse (API reference samples). */
function anetResponse(resultCode: 'Ok' | 'Error', messageCode: string, transaction: string): string {
  return `\uFEFF<?xml version="1.0" encoding="utf-8"?>
<createTransactionResponse xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd">
  <refId>att-123</refId>
  <messages><resultCode>${resultCode}</resultCode><message><code>${messageCode}</code><text>Successful.</text></message></messages>
  ${transaction}
</createTransactionResponse>`;
}

function transactionResponse(responseCode: string, transId: string, extra: string): string {
  return `<transactionResponse><responseCode>${responseCode}</responseCode><authCode>${responseCode === '1' ? '0YT5C1' : ''}</authCode><avsResultCode>Y</avsResultCode><cvvResultCode>P</cvvResultCode><cavvResultCode>2</cavvResultCode><transId>${transId}</transId><refTransID/><transHash/><testRequest>0</testRequest><accountNumber>XXXX1111</accountNumber><accountType>Visa</accountType>${extra}<transHashSha2/><SupplementalDataQualificationIndicator>0</SupplementalDataQualificationIndicator><networkTransId>4KP2M0GYQ8E7JT1L6EQ3ZUW</networkTransId></transactionResponse>`;
}

t.test('authorize-net responseCode 1: approved with transId and authCode', async (t) => {
  const body = anetResponse(
    'Ok',
    'I00001',
    transactionResponse('1', '40000000001', '<messages><message><code>1</code><description>This transaction has been approved.</description></message></messages>'),
  );
  t.same(mapResponse(body, anet), { kind: 'mapped', outcome: { kind: 'approved', transactionId: '40000000001', authCode: '0YT5C1' } });
});

t.test('authorize-net responseCode 2: declined, reason from the error code', async (t) => {
  const body = anetResponse(
    'Ok',
    'I00001',
    transactionResponse('2', '40000000002', '<errors><error><errorCode>2</errorCode><errorText>This transaction has been declined.</errorText></error></errors>'),
  );
  t.same(mapResponse(body, anet), { kind: 'mapped', outcome: { kind: 'declined', reason: 'do-not-honour', code: '2' } });
  const unknownCode = anetResponse('Ok', 'I00001', transactionResponse('2', '40000000003', '<errors><error><errorCode>999</errorCode><errorText>?</errorText></error></errors>'));
  t.same(mapResponse(unknownCode, anet), { kind: 'mapped', outcome: { kind: 'declined', reason: 'declined', code: '999' } });
});

t.test('authorize-net responseCode 3: error, except card-data errors which the caller can fix', async (t) => {
  const gatewayError = anetResponse(
    'Error',
    'E00027',
    transactionResponse('3', '0', '<errors><error><errorCode>19</errorCode><errorText>An error occurred during processing. Please try again in 5 minutes.</errorText></error></errors>'),
  );
  t.same(mapResponse(gatewayError, anet), { kind: 'mapped', outcome: { kind: 'error', reason: 'try-again-later', outcomeUnknown: false } });
  const expired = anetResponse('Error', 'E00027', transactionResponse('3', '0', '<errors><error><errorCode>8</errorCode><errorText>The credit card has expired.</errorText></error></errors>'));
  t.same(mapResponse(expired, anet), { kind: 'mapped', outcome: { kind: 'declined', reason: 'expired-card', code: '8' } });
});

t.test('authorize-net responseCode 4 (held for review): not approved', async (t) => {
  const body = anetResponse(
    'Ok',
    'I00001',
    transactionResponse('4', '40000000004', '<messages><message><code>253</code><description>Your order has been received. Thank you for your business!</description></message></messages>'),
  );
  t.same(mapResponse(body, anet), { kind: 'mapped', outcome: { kind: 'declined', reason: 'held-for-review', code: '253' } });
});

t.test('authorize-net request-level errors: authentication, schema', async (t) => {
  const auth = anetResponse('Error', 'E00007', '');
  t.same(mapResponse(auth, anet), { kind: 'mapped', outcome: { kind: 'error', reason: 'authentication-failed', outcomeUnknown: false } });
  const schema = `<?xml version="1.0" encoding="utf-8"?><ErrorResponse xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd"><messages><resultCode>Error</resultCode><message><code>E00003</code><text>The element 'x' has invalid child element 'y'.</text></message></messages></ErrorResponse>`;
  t.same(mapResponse(schema, anet), { kind: 'mapped', outcome: { kind: 'error', reason: 'invalid-request', outcomeUnknown: false } });
});

t.test('what no rule knows: malformed, unexpected, approved without an ID', async (t) => {
  t.same(mapResponse('<createTransactionResponse><messages>', anet), { kind: 'unmapped', detail: 'malformed-xml' });
  t.same(mapResponse('', anet), { kind: 'unmapped', detail: 'malformed-xml' });
  t.same(mapResponse('<html><body>502 Bad Gateway</body></html>', anet), { kind: 'unmapped', detail: 'no-rule-matched' });
  const noId = anetResponse('Ok', 'I00001', '<transactionResponse><responseCode>1</responseCode></transactionResponse>');
  t.same(mapResponse(noId, anet), { kind: 'unmapped', detail: 'no-transaction-id' });
});

t.test('generic: status, ID, reason token as sent', async (t) => {
  t.same(mapResponse('<PaymentResponse><Status>approved</Status><TransactionId>T-1</TransactionId><AuthCode>A1</AuthCode></PaymentResponse>', generic), {
    kind: 'mapped',
    outcome: { kind: 'approved', transactionId: 'T-1', authCode: 'A1' },
  });
  t.same(mapResponse('<PaymentResponse><Status>declined</Status><ReasonCode>05</ReasonCode><Reason>Do Not Honour</Reason></PaymentResponse>', generic), {
    kind: 'mapped',
    outcome: { kind: 'declined', reason: 'do-not-honour', code: '05' },
  });
  t.same(mapResponse('<PaymentResponse><Status>error</Status></PaymentResponse>', generic), { kind: 'mapped', outcome: { kind: 'error', reason: 'gateway-error', outcomeUnknown: false } });
});

t.test('paths: namespaces dropped, repeated elements, attributes, leading zeros kept', async (t) => {
  const doc = parseXml('<ns:R xmlns:ns="u" code="007"><ns:E>1</ns:E><ns:E>2</ns:E><V>0012</V></ns:R>');
  t.ok(doc);
  if (doc === null) return;
  t.equal(selectText(doc, 'R.E'), '1');
  t.equal(selectText(doc, 'R.E[1]'), '2');
  t.equal(selectText(doc, 'R.E[2]'), null);
  t.equal(selectText(doc, 'R.@code'), '007');
  t.equal(selectText(doc, 'R.V'), '0012');
  t.equal(selectText(doc, 'R.missing.deeper'), null);
});
