/** Camera, microphone and screen capture, with the devices the user picked. */
export interface DeviceChoice {
  cameraId?: string;
  micId?: string;
}

export async function getCamera(choice: DeviceChoice): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { deviceId: choice.cameraId ? { exact: choice.cameraId } : undefined, width: { ideal: 1280 }, height: { ideal: 720 } },
  });
  return stream.getVideoTracks()[0]!;
}

export async function getMicrophone(choice: DeviceChoice): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { deviceId: choice.micId ? { exact: choice.micId } : undefined, echoCancellation: true, noiseSuppression: true },
  });
  return stream.getAudioTracks()[0]!;
}

export async function getScreen(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 }, audio: false });
  return stream.getVideoTracks()[0]!;
}

export async function listDevices(): Promise<{ cameras: MediaDeviceInfo[]; mics: MediaDeviceInfo[] }> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  return { cameras: devices.filter((d) => d.kind === 'videoinput'), mics: devices.filter((d) => d.kind === 'audioinput') };
}
