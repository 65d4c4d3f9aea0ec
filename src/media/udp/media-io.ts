// Which socket I/O carries the media legs (config `rtp.io`): see media-socket.ts.
export const MEDIA_IO_CHOICES = ['auto', 'native', 'dgram'] as const;
export type MediaIoChoice = (typeof MEDIA_IO_CHOICES)[number];
export type MediaIo = Exclude<MediaIoChoice, 'auto'>;
