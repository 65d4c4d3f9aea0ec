// --from/--to and ?from=/?to=: ISO 8601 dates and date-times, UTC unless an offset is given;
// everything else refused with kpi.invalid-range.
import t from 'tap';
import { parseGroupBy, parseIsoTime, parseRange } from '../../src/kpi/kpi-range.js';

t.test('accepted forms', async (t) => {
  t.equal(parseIsoTime('2026-11-25', 'from'), Date.UTC(2026, 10, 25), 'a date is UTC midnight');
  t.equal(parseIsoTime('2026-11-25T14:30', 'from'), Date.UTC(2026, 10, 25, 14, 30), 'no offset: UTC');
  t.equal(parseIsoTime('2026-11-25T14:30:15Z', 'from'), Date.UTC(2026, 10, 25, 14, 30, 15));
  t.equal(parseIsoTime('2026-11-25T14:30:15.250Z', 'from'), Date.UTC(2026, 10, 25, 14, 30, 15, 250));
  t.equal(parseIsoTime('2026-11-25T14:30:00+02:00', 'from'), Date.UTC(2026, 10, 25, 12, 30), 'offset applied');
  t.equal(parseIsoTime('2026-11-25T14:30:00-0130', 'from'), Date.UTC(2026, 10, 25, 16, 0), 'offset without colon');
  t.same(parseRange(undefined, undefined), {}, 'open range');
  t.same(parseRange('2026-11-20', '2026-11-20'), { from: Date.UTC(2026, 10, 20), to: Date.UTC(2026, 10, 20) }, 'from = to: an empty range, allowed');
});

t.test('refused forms', async (t) => {
  for (const bad of ['yesterday', '25/11/2026', '2026-13-01', '2026-02-29', '2026-11-25T24:00', '2026-11-25T12:60', '1732540800000', '2026-11-25T10:00:00 PST', '']) {
    t.throws(() => parseIsoTime(bad, 'from'), { code: 'kpi.invalid-range', message: /^from: / }, JSON.stringify(bad));
  }
  t.throws(() => parseRange('2026-11-21', '2026-11-20'), { code: 'kpi.invalid-range', message: /after/ }, 'from after to');
  t.throws(() => parseGroupBy('week'), { code: 'kpi.invalid-group', message: /day, hour, merchant, outcome, mode, card-type/ });
  t.equal(parseGroupBy('card-type'), 'card-type');
});
