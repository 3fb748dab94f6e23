/**
 * What to tell a user whose audio/video cannot get through, in words they (or the server's operator)
 * can act on. The wording depends on what was tried: direct paths only, or also a TURN relay.
 */
import type { MediaConnectivity } from '../lib';

export function mediaProblemText(media: MediaConnectivity, host: string): string {
  const retrying = 'Still trying…';
  if (media.relayOnly && media.turnUrls.length === 0) {
    return `Audio and video can't connect: this link forces a relay (relay=1) but the server offers no TURN relay. Remove relay=1 from the address, or ask the server's operator to configure TURN. ${retrying}`;
  }
  if (media.turnUrls.length > 0) {
    return `Audio and video can't connect to ${host}, not even through the TURN relay. A firewall is probably blocking it: allow traffic to the TURN server (${media.turnUrls.join(', ')}) or try another network. ${retrying}`;
  }
  return `Audio and video can't connect to ${host}. A firewall or NAT is probably blocking the media ports (UDP/TCP). Try another network, or ask the server's operator to set up a TURN relay (TURN_URLS). ${retrying}`;
}
