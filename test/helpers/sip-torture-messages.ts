// RFC 4475 torture messages (§3.1.1 valid, §3.1.2 invalid, §3.3 semantic), written from the RFC
// text with CRLF line ends. Non-printable bytes are written as \x escapes; the long repeated
// strings of §2.3 are expanded. Bodies keep the Content-Length the RFC declares.
const CRLF = '\r\n';
const lines = (...l: string[]): string => l.join(CRLF);

const SDP150 = lines('v=0', 'o=mhandley 29739 7272939 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 49217 RTP/AVP 0 12', 'm=video 3227 RTP/AVP 31', 'a=rtpmap:31 LPC', '');

export const wsinv = lines(
  'INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0',
  'TO :',
  ' sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n',
  'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>',
  '  ;',
  '  tag = 98asjd8',
  'MaX-fOrWaRdS: 0068',
  'Call-ID: wsinv.ndaksdj@192.0.2.1',
  'Content-Length   : 150',
  'cseq: 0009',
  '  INVITE',
  'Via  : SIP  /   2.0',
  ' /UDP',
  '    192.0.2.2;branch=390skdjuw',
  's :',
  'NewFangledHeader:   newfangled value',
  ' continued newfangled value',
  'UnknownHeaderWithUnusualValue: ;;,,;;,;',
  'Content-Type: application/sdp',
  'Route:',
  ' <sip:services.example.com;lr;unknownwith=value;unknown-no-value>',
  'v:  SIP  / 2.0  / TCP     spindle.example.com   ;',
  '  branch  =   z9hG4bK9ikj8  ,',
  ' SIP  /    2.0   / UDP  192.168.255.111   ; branch=',
  ' z9hG4bK30239',
  'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =',
  '      newvalue ;',
  '  secondparam ; q = 0.33',
  '',
  'v=0',
  'o=mhandley 29739 7272939 IN IP4 192.0.2.3',
  's=-',
  'c=IN IP4 192.0.2.4',
  't=0 0',
  'm=audio 49217 RTP/AVP 0 12',
  'm=video 3227 RTP/AVP 31',
  'a=rtpmap:31 LPC',
  '',
);

const INTMETH = "!interesting-Method0123456789_*+`.%indeed'~";
export const intmeth = Buffer.concat([
  Buffer.from(
    lines(
      `${INTMETH} sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0`,
      "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~",
      'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7F" <sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/crazy?,/;;*@example.com>',
      "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439\";tag=_token~1'+`*%!-.",
      'Call-ID: intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{',
      `CSeq: 139122385 ${INTMETH}`,
      'Max-Forwards: 255',
      "extensionHeader-!.%*+_`'~:\uFEFF\u5927\u505C\u96FB",
      'Content-Length: 0',
      '',
      '',
    ),
    'utf8',
  ),
]);

export const esc01 = lines(
  'INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0',
  'To: sip:%75se%72@example.com',
  'From: <sip:I%20have%20spaces@example.net>;tag=938',
  'Max-Forwards: 87',
  'i: esc01.239409asdfakjkn23onasd0-3234',
  'CSeq: 234234 INVITE',
  'Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw',
  'C: application/sdp',
  'Contact:',
  '  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>',
  'Content-Length: 150',
  '',
  SDP150,
);

export const escnull = lines(
  'REGISTER sip:example.com SIP/2.0',
  'To: sip:null-%00-null@example.com',
  'From: sip:null-%00-null@example.com;tag=839923423',
  'Max-Forwards: 70',
  'Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd',
  'CSeq: 14398234 REGISTER',
  'Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw',
  'Contact: <sip:%00@host5.example.com>',
  'Contact: <sip:%00%00@host5.example.com>',
  'L:0',
  '',
  '',
);

export const esc02 = lines(
  'RE%47IST%45R sip:registrar.example.com SIP/2.0',
  'To: "%Z%45" <sip:resource@example.com>',
  'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23',
  'Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf',
  'Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234',
  'CSeq: 29344 RE%47IST%45R',
  'Max-Forwards: 70',
  'Contact: <sip:alias1@host1.example.com>',
  'C%6Fntact: <sip:alias2@host2.example.com>',
  'Contact: <sip:alias3@host3.example.com>',
  'l: 0',
  '',
  '',
);

export const lwsdisp = lines(
  'OPTIONS sip:user@example.com SIP/2.0',
  'To: sip:user@example.com',
  'From: caller<sip:caller@example.com>;tag=323',
  'Max-Forwards: 70',
  'Call-ID: lwsdisp.1234abcd@funky.example.com',
  'CSeq: 60 OPTIONS',
  'Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw',
  'l: 0',
  '',
  '',
);

const r = (s: string, n: number): string => s.repeat(n);
export const longreq = lines(
  'INVITE sip:user@example.com SIP/2.0',
  `To: "I have a user name of ${r('extreme', 10)} proportion"<sip:user@example.com:6000;unknownparam1=very${r('long', 20)}value;longparam${r('name', 25)}=shortvalue;very${r('long', 25)}ParameterNameWithNoValue>`,
  `F: sip:${r('amazinglylongcallername', 5)}@example.net;tag=12${r('982', 50)}424;unknownheaderparam${r('name', 20)}=unknowheaderparam${r('value', 15)};unknownValueless${r('paramname', 10)}`,
  `Call-ID: longreq.one${r('really', 20)}longcallid`,
  'CSeq: 3882340 INVITE',
  `Unknown-${r('Long', 20)}-Name: unknown-${r('long', 20)}-value; unknown-${r('long', 20)}-parameter-name = unknown-${r('long', 20)}-parameter-value`,
  'Via: SIP/2.0/TCP sip33.example.com',
  'v: SIP/2.0/TCP sip32.example.com',
  'V: SIP/2.0/TCP sip31.example.com',
  'Via: SIP/2.0/TCP sip30.example.com',
  'ViA: SIP/2.0/TCP sip29.example.com',
  'VIa: SIP/2.0/TCP sip28.example.com',
  'VIA: SIP/2.0/TCP sip27.example.com',
  'via: SIP/2.0/TCP sip26.example.com',
  'viA: SIP/2.0/TCP sip25.example.com',
  'vIa: SIP/2.0/TCP sip24.example.com',
  'vIA: SIP/2.0/TCP sip23.example.com',
  'V :  SIP/2.0/TCP sip22.example.com',
  'v :  SIP/2.0/TCP sip21.example.com',
  'V  : SIP/2.0/TCP sip20.example.com',
  'v  : SIP/2.0/TCP sip19.example.com',
  'Via : SIP/2.0/TCP sip18.example.com',
  'Via  : SIP/2.0/TCP sip17.example.com',
  ...Array.from({ length: 16 }, (_, i) => `Via: SIP/2.0/TCP sip${16 - i}.example.com`),
  `Via: SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=very${r('long', 50)}branchvalue`,
  'Max-Forwards: 70',
  `Contact: <sip:${r('amazinglylongcallername', 5)}@host5.example.net>`,
  'Content-Type: application/sdp',
  'l: 150',
  '',
  SDP150,
);

export const dblreq = lines(
  'REGISTER sip:example.com SIP/2.0',
  'To: sip:j.user@example.com',
  'From: sip:j.user@example.com;tag=43251j3j324',
  'Max-Forwards: 8',
  'I: dblreq.0ha0isndaksdj99sdfafnl3lk233412',
  'Contact: sip:j.user@host.example.com',
  'CSeq: 8 REGISTER',
  'Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492',
  'Content-Length: 0',
  '',
  'INVITE sip:joe@example.com SIP/2.0',
  't: sip:joe@example.com',
  'From: sip:caller@example.net;tag=141334',
  'Max-Forwards: 8',
  'Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15',
  'CSeq: 8 INVITE',
  'Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234',
  'Content-Type: application/sdp',
  'Content-Length: 150',
  '',
  SDP150,
);

export const semiuri = lines(
  'OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0',
  'To: sip:j_user@example.com',
  'From: sip:caller@example.org;tag=33242',
  'Max-Forwards: 3',
  'Call-ID: semiuri.0ha0isndaksdj',
  'CSeq: 8 OPTIONS',
  'Accept: application/sdp, application/pkcs7-mime,',
  '        multipart/mixed, multipart/signed,',
  '        message/sip, message/sipfrag',
  'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw',
  'l: 0',
  '',
  '',
);

export const transports = lines(
  'OPTIONS sip:user@example.com SIP/2.0',
  'To: sip:user@example.com',
  'From: <sip:caller@example.com>;tag=323',
  'Max-Forwards: 70',
  'Call-ID:  transports.kijh4akdnaqjkwendsasfdj',
  'Accept: application/sdp',
  'CSeq: 60 OPTIONS',
  'Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw',
  'Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf',
  'Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj',
  'Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en',
  'Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee',
  'l: 0',
  '',
  '',
);

/** §3.1.1.11: a multipart/signed body with a binary part; the body is bytes, not text. */
const MPART_BODY = Buffer.concat([
  Buffer.from(
    lines(
      '--===============2120295447==',
      'Content-Type: application/sdp',
      'Content-Length: 5',
      '',
      'v=0',
      '',
      '--===============2120295447==',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: binary',
      '',
      '',
    ),
  ),
  Buffer.from([0x30, 0x82, 0x01, 0x52, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x80]),
  Buffer.from(CRLF + '--===============2120295447==--' + CRLF),
]);
export const mpart01 = Buffer.concat([
  Buffer.from(
    lines(
      'MESSAGE sip:kumiko@example.org SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport',
      'Max-Forwards: 70',
      'Route: <sip:127.0.0.1:5080>',
      'Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+813gvYjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA=',
      'Contact: <sip:fluffy@127.0.0.1:5070>',
      'To: <sip:kumiko@example.org>',
      'From: <sip:fluffy@example.com>;tag=2fb0dcc9',
      'Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..',
      'CSeq: 1 MESSAGE',
      'Content-Transfer-Encoding: binary',
      'Content-Type: multipart/mixed;boundary================2120295447==',
      'Date: Thu, 21 Feb 2008 19:37:07 GMT',
      'Identity-Info: <sip:127.0.0.1:5080/cert>;alg=rsa-sha1',
      `Content-Length: ${MPART_BODY.length}`,
      '',
      '',
    ),
  ),
  MPART_BODY,
]);
export const MPART01_BODY = MPART_BODY;

export const unreason = Buffer.from(
  lines(
    'SIP/2.0 200 = 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c - \u043f\u0440\u043e\u0441\u0442\u043e\u0435',
    'Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923',
    'Call-ID: unreason.1234ksdfak3j2erwedfsASdf',
    'CSeq: 35 INVITE',
    'From: sip:user@example.com;tag=11141343',
    'To: sip:user@example.edu;tag=2229',
    'Content-Length: 154',
    'Content-Type: application/sdp',
    'Contact: <sip:user@host198.example.com>',
    '',
    'v=0',
    'o=mhandley 29739 7272939 IN IP4 192.0.2.198',
    's=-',
    'c=IN IP4 192.0.2.198',
    't=0 0',
    'm=audio 49217 RTP/AVP 0 12',
    'm=video 3227 RTP/AVP 31',
    'a=rtpmap:31 LPC',
    '',
  ),
  'utf8',
);

export const noreason = lines(
  'SIP/2.0 100 ',
  'Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe',
  'Call-ID: noreason.asndj203insdf99223ndf',
  'CSeq: 35 INVITE',
  'From: <sip:user@example.com>;tag=39ansfi3',
  'To: <sip:user@example.edu>;tag=902jndnke3',
  'Content-Length: 0',
  'Contact: <sip:user@host105.example.com>',
  '',
  '',
);

// ---- §3.1.2 invalid messages --------------------------------------------------------------

const SDP152 = lines('v=0', 'o=mhandley 29739 7272939 IN IP4 192.0.2.15', 's=-', 'c=IN IP4 192.0.2.15', 't=0 0', 'm=audio 49217 RTP/AVP 0 12', 'm=video 3227 RTP/AVP 31', 'a=rtpmap:31 LPC', '');

export const badinv01 = lines(
  'INVITE sip:user@example.com SIP/2.0',
  'To: sip:j.user@example.com',
  'From: sip:caller@example.net;tag=134161461246',
  'Max-Forwards: 7',
  'Call-ID: badinv01.0ha0isndaksdjasdf3234nas',
  'CSeq: 8 INVITE',
  'Via: SIP/2.0/UDP 192.0.2.15;;,;,,',
  'Contact: "Joe" <sip:joe@example.org>;;;;',
  'Content-Length: 152',
  'Content-Type: application/sdp',
  '',
  SDP152,
);

export const clerr = lines(
  'INVITE sip:user@example.com SIP/2.0',
  'Max-Forwards: 80',
  'To: sip:j.user@example.com',
  'From: sip:caller@example.net;tag=93942939o2',
  'Contact: <sip:caller@hungry.example.net>',
  'Call-ID: clerr.0ha0isndaksdjweiafasdk3',
  'CSeq: 8 INVITE',
  'Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523',
  'Content-Type: application/sdp',
  'Content-Length: 9999',
  '',
  SDP152,
);

export const ncl = lines(
  'INVITE sip:user@example.com SIP/2.0',
  'Max-Forwards: 254',
  'To: sip:j.user@example.com',
  'From: sip:caller@example.net;tag=32394234',
  'Call-ID: ncl.0ha0isndaksdj2193423r542w35',
  'CSeq: 0 INVITE',
  'Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw',
  'Contact: <sip:caller@example53.example.net>',
  'Content-Type: application/sdp',
  'Content-Length: -999',
  '',
  SDP152,
);

export const scalar02 = lines(
  'REGISTER sip:example.com SIP/2.0',
  'Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3',
  'To: <sip:user@example.com>',
  'From: <sip:user@example.com>;tag=239232jh3',
  'CSeq: 36893488147419103232 REGISTER',
  'Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32',
  'Max-Forwards: 300',
  `Expires: 1${'0'.repeat(100)}`,
  'Contact: <sip:user@host129.example.com>',
  '  ;expires=280297596632815',
  'Content-Length: 0',
  '',
  '',
);

export const scalarlg = lines(
  'SIP/2.0 503 Service Unavailable',
  'Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129',
  'To: <sip:user@example.com>',
  'From: <sip:other@example.net>;tag=2easdjfejw',
  'CSeq: 9292394834772304023312 OPTIONS',
  'Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r',
  'Retry-After: 949302838503028349304023988',
  'Warning: 1812 overture "In Progress"',
  'Content-Length: 0',
  '',
  '',
);

export const quotbal = lines(
  'INVITE sip:user@example.com SIP/2.0',
  'To: "Mr. J. User <sip:j.user@example.com>',
  'From: sip:caller@example.net;tag=93334',
  'Max-Forwards: 10',
  'Call-ID: quotbal.aksdj',
  'Contact: <sip:caller@host59.example.net>',
  'CSeq: 8 INVITE',
  'Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234',
  'Content-Type: application/sdp',
  'Content-Length: 152',
  '',
  SDP152,
);

const SDP159 = lines('v=0', 'o=mhandley 29739 7272939 IN IP4 192.0.2.5', 's=-', 'c=IN IP4 192.0.2.5', 't=3149328700 0', 'm=audio 49217 RTP/AVP 0 12', 'm=video 3227 RTP/AVP 31', 'a=rtpmap:31 LPC', '');

export const ltgtruri = lines(
  'INVITE <sip:user@example.com> SIP/2.0',
  'To: sip:user@example.com',
  'From: sip:caller@example.net;tag=39291',
  'Max-Forwards: 23',
  'Call-ID: ltgtruri.1@192.0.2.5',
  'CSeq: 1 INVITE',
  'Via: SIP/2.0/UDP 192.0.2.5',
  'Contact: <sip:caller@host5.example.net>',
  'Content-Type: application/sdp',
  'Content-Length: 159',
  '',
  SDP159,
);

export const lwsruri = lines(
  'INVITE sip:user@example.com; lr SIP/2.0',
  'To: sip:user@example.com;tag=3xfe-9921883-z9f',
  'From: sip:caller@example.net;tag=231413434',
  'Max-Forwards: 5',
  'Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423',
  'CSeq: 2130706432 INVITE',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkdjuw2395',
  'Contact: <sip:caller@host1.example.net>',
  'Content-Type: application/sdp',
  'Content-Length: 159',
  '',
  SDP159,
);

export const lwsstart = lines(
  'INVITE  sip:user@example.com  SIP/2.0',
  'Max-Forwards: 8',
  'To: sip:user@example.com',
  'From: sip:caller@example.net;tag=8814',
  'Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com',
  'CSeq: 1893884 INVITE',
  'Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923',
  'Contact: <sip:caller@host1.example.net>',
  'Content-Type: application/sdp',
  'Content-Length: 150',
  '',
  SDP150,
);

export const trws = lines(
  'OPTIONS sip:remote-target@example.com SIP/2.0  ',
  'Via: SIP/2.0/TCP host1.examle.com;branch=z9hG4bK299342093',
  'To: <sip:remote-target@example.com>',
  'From: <sip:local-resource@example.com>;tag=329429089',
  'Call-ID: trws.oicu34958239neffasdhr2345r',
  'Accept: application/sdp',
  'CSeq: 238923 OPTIONS',
  'Max-Forwards: 70',
  'Content-Length: 0',
  '',
  '',
);

export const escruri = lines(
  'INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0',
  'To: sip:user@example.com',
  'From: sip:caller@example.net;tag=341518',
  'Max-Forwards: 7',
  'Contact: <sip:caller@host39923.example.net>',
  'Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5',
  'CSeq: 149209342 INVITE',
  'Via: SIP/2.0/UDP host-of-the-hour.example.com;branch=z9hG4bKkdjuw',
  'Content-Type: application/sdp',
  'Content-Length: 150',
  '',
  SDP150,
);

export const baddate = lines(
  'INVITE sip:user@example.com SIP/2.0',
  'To: sip:user@example.com',
  'From: sip:caller@example.net;tag=2234923',
  'Max-Forwards: 70',
  'Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234',
  'CSeq: 1392934 INVITE',
  'Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw',
  'Date: Fri, 01 Jan 2010 16:00:00 EST',
  'Contact: <sip:caller@host5.example.net>',
  'Content-Type: application/sdp',
  'Content-Length: 150',
  '',
  SDP150,
);

export const regbadct = lines(
  'REGISTER sip:example.com SIP/2.0',
  'To: sip:user@example.com',
  'From: sip:user@example.com;tag=998332',
  'Max-Forwards: 70',
  'Call-ID: regbadct.k345asrl3fdbv@10.0.0.1',
  'CSeq: 1 REGISTER',
  'Via: SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw',
  'Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E',
  'l: 0',
  '',
  '',
);

export const badaspec = lines(
  'OPTIONS sip:user@example.org SIP/2.0',
  'Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234',
  'Max-Forwards: 70',
  'From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423',
  'To: "Watson, Thomas" < sip:t.watson@example.org >',
  'Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3',
  'Accept: application/sdp',
  'CSeq: 3923239 OPTIONS',
  'l: 0',
  '',
  '',
);

export const baddn = lines(
  'OPTIONS sip:t.watson@example.org SIP/2.0',
  'Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw',
  'Max-Forwards:      70',
  'From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43',
  'To:      Watson, Thomas <sip:t.watson@example.org>',
  'Call-ID: baddn.31415@c.example.com',
  'Accept: application/sdp',
  'CSeq:    3923239 OPTIONS',
  'l: 0',
  '',
  '',
);

export const badvers = lines(
  'OPTIONS sip:t.watson@example.org SIP/7.0',
  'Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw',
  'Max-Forwards:     70',
  'From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe',
  'To:      T. Watson <sip:t.watson@example.org>',
  'Call-ID: badvers.31417@c.example.com',
  'CSeq:    1 OPTIONS',
  'l: 0',
  '',
  '',
);

export const mismatch01 = lines(
  'OPTIONS sip:user@example.com SIP/2.0',
  'To: sip:j.user@example.com',
  'From: sip:caller@example.net;tag=34525',
  'Max-Forwards: 6',
  'Call-ID: mismatch01.dj0234sxdfl3',
  'CSeq: 8 INVITE',
  'Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw',
  'l: 0',
  '',
  '',
);

export const mismatch02 = lines(
  'NEWMETHOD sip:user@example.com SIP/2.0',
  'To: sip:j.user@example.com',
  'From: sip:caller@example.net;tag=34525',
  'Max-Forwards: 6',
  'Call-ID: mismatch02.dj0234sxdfl3',
  'CSeq: 8 INVITE',
  'Contact: <sip:caller@host.example.net>',
  'Via: SIP/2.0/UDP host.example.net;branch=z9hG4bKkdjuw',
  'Content-Type: application/sdp',
  'l: 138',
  '',
  'v=0',
  'o=mhandley 29739 7272939 IN IP4 192.0.2.1',
  'c=IN IP4 192.0.2.1',
  'm=audio 49217 RTP/AVP 0 12',
  'm=video 3227 RTP/AVP 31',
  'a=rtpmap:31 LPC',
  '',
);

export const bigcode = lines(
  'SIP/2.0 4294967301 better not break the receiver',
  'Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe',
  'Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i',
  'CSeq: 353494 INVITE',
  'From: <sip:user@example.com>;tag=39ansfi3',
  'To: <sip:user@example.edu>;tag=902jndnke3',
  'Content-Length: 0',
  'Contact: <sip:user@host105.example.com>',
  '',
  '',
);

// ---- §3.3 transaction-layer semantics --------------------------------------------------------

export const insuf = lines('INVITE sip:user@example.com SIP/2.0', 'CSeq: 193942 INVITE', 'Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf', 'Content-Type: application/sdp', 'l: 152', '', SDP152);

export const unkscm = lines(
  'OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0',
  'To: sip:user@example.com',
  'From: sip:caller@example.net;tag=384',
  'Max-Forwards: 3',
  'Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34',
  'CSeq: 3923423 OPTIONS',
  'Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234',
  'Content-Length: 0',
  '',
  '',
);

/** Invalid messages (§3.1.2) with the answer expected: a status, or 'drop' for responses. */
export const INVALID: readonly { readonly name: string; readonly text: string | Buffer; readonly expect: number | 'drop' }[] = [
  { name: 'badinv01', text: badinv01, expect: 400 },
  { name: 'clerr', text: clerr, expect: 400 },
  { name: 'ncl', text: ncl, expect: 400 },
  { name: 'scalar02', text: scalar02, expect: 400 },
  { name: 'scalarlg', text: scalarlg, expect: 'drop' },
  { name: 'quotbal', text: quotbal, expect: 400 },
  { name: 'ltgtruri', text: ltgtruri, expect: 400 },
  { name: 'lwsruri', text: lwsruri, expect: 400 },
  { name: 'lwsstart', text: lwsstart, expect: 400 },
  { name: 'trws', text: trws, expect: 400 },
  { name: 'escruri', text: escruri, expect: 400 },
  { name: 'baddate', text: baddate, expect: 400 },
  { name: 'regbadct', text: regbadct, expect: 400 },
  { name: 'badaspec', text: badaspec, expect: 400 },
  { name: 'baddn', text: baddn, expect: 400 },
  { name: 'badvers', text: badvers, expect: 505 },
  { name: 'mismatch01', text: mismatch01, expect: 400 },
  { name: 'mismatch02', text: mismatch02, expect: 400 },
  { name: 'bigcode', text: bigcode, expect: 'drop' },
  { name: 'insuf', text: insuf, expect: 400 },
  { name: 'unkscm', text: unkscm, expect: 416 },
];
