// The RtpMediaSession tests again, on node:dgram: the media I/O where the native addon is not
// built (no C compiler) or rtp.io is dgram.
process.env.TONEGUARD_TEST_MEDIA_IO = 'dgram';
await import('./rtp-media-session.test.js');
