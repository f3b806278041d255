import { describe, expect, it } from 'vitest';
import { outboundRefusal } from './outbound';

const local = { httpsOnly: false, allow: ['http://127.0.0.1:8799'] };
const production = { httpsOnly: true, allow: [] };

describe('outboundRefusal', () => {
  it('refuses loopback, private, shared, link-local, metadata and this-network addresses in every spelling', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://2130706433/',
      'http://0x7f000001/',
      'http://0x7f.1/',
      'http://0177.0.0.1/',
      'http://127.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:7f00:1]/',
      'http://[0:0:0:0:0:ffff:a00:1]/',
      'http://[::127.0.0.1]/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://[2002:7f00:1::]/',
      'http://[::1]/',
      'http://[::]/',
      'http://[fc00::1]/',
      'http://[fdff::1]/',
      'http://[fe80::1]/',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://172.31.255.255/',
      'http://192.168.0.1/',
      'http://100.64.0.1/',
      'http://100.127.255.254/',
      'http://169.254.169.254/',
      'http://0.0.0.0/',
      'http://0/',
      'http://255.255.255.255/',
      'http://localhost/',
      'http://LOCALHOST./',
      'http://api.localhost/',
      'http://metadata.google.internal/',
      'http://metadata/',
      'http://nas.local/',
      'http://router.home.arpa/',
    ]) {
      expect(outboundRefusal(url, local), url).not.toBeNull();
    }
  });

  it('lets public addresses through, and the allowed stand-in origin only', () => {
    for (const url of ['https://mail.example.com/v1', 'http://hooks.example.com/x', 'https://93.184.216.34/', 'https://172.32.0.1/', 'https://100.128.0.1/', 'https://[2606:4700:4700::1111]/']) {
      expect(outboundRefusal(url, local), url).toBeNull();
    }
    expect(outboundRefusal('http://127.0.0.1:8799/t/ns/messages', local)).toBeNull();
    expect(outboundRefusal('http://127.0.0.1:8790/v2/pipeline', local)).not.toBeNull();
    expect(outboundRefusal('http://127.0.0.1:8799/', production)).not.toBeNull();
  });

  it('production: https only; never credentials in the URL or another scheme', () => {
    expect(outboundRefusal('http://hooks.example.com/', production)).toBe('https required in production');
    expect(outboundRefusal('https://hooks.example.com/', production)).toBeNull();
    expect(outboundRefusal('https://user:pw@hooks.example.com/', production)).not.toBeNull();
    expect(outboundRefusal('ftp://hooks.example.com/', local)).not.toBeNull();
    expect(outboundRefusal('not a url', local)).not.toBeNull();
  });
});
