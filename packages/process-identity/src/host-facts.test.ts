import { describe, expect, it } from 'vitest';
import {
  DARWIN_BOOT_COMMAND,
  DARWIN_MACHINE_COMMAND,
  parseDarwinBoot,
  parseIoregPlatformUuid,
  parseWindowsHost,
  windowsHostCommand,
} from './host-facts.js';

describe('macOS host facts', () => {
  it('runs sysctl and ioreg by absolute path with argument arrays', () => {
    expect(DARWIN_BOOT_COMMAND).toEqual({
      file: '/usr/sbin/sysctl',
      args: ['-n', 'kern.boottime', 'kern.bootsessionuuid'],
      env: { LC_ALL: 'C' },
    });
    expect(DARWIN_MACHINE_COMMAND).toEqual({
      file: '/usr/sbin/ioreg',
      args: ['-rd1', '-c', 'IOPlatformExpertDevice'],
    });
  });

  it('reads the boot time and the boot session uuid from sysctl (sysctl(8) format)', () => {
    expect(
      parseDarwinBoot(
        '{ sec = 1763968324, usec = 413207 } Mon Nov 24 07:12:04 2025\nE0A4C2D1-5B6F-4E3A-9C8D-0F1E2D3C4B5A\n',
      ),
    ).toEqual({ bootTimeMs: 1763968324413, bootId: 'e0a4c2d1-5b6f-4e3a-9c8d-0f1e2d3c4b5a' });
  });

  it('reads IOPlatformUUID from ioreg', () => {
    expect(
      parseIoregPlatformUuid(
        '+-o J316sAP  <class IOPlatformExpertDevice, id 0x100000202, registered, matched, active, busy 0 (1 ms), retain 41>\n  {\n    "IOPlatformSerialNumber" = "C02XXXXXXXXX"\n    "IOPlatformUUID" = "3B1F2E4A-7C5D-5E6F-8A9B-0C1D2E3F4A5B"\n  }\n',
      ),
    ).toBe('3b1f2e4a-7c5d-5e6f-8a9b-0c1d2e3f4a5b');
  });

  it('gives empty facts, never guesses, for output it cannot read', () => {
    expect(parseDarwinBoot('')).toEqual({ bootTimeMs: 0, bootId: '' });
    expect(parseIoregPlatformUuid('')).toBe('');
  });
});

describe('Windows host facts', () => {
  it('runs powershell.exe by absolute path with the script encoded', () => {
    const command = windowsHostCommand({ SystemRoot: 'C:\\Windows' });
    expect(command.file).toBe('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    const script = Buffer.from(command.args.at(-1)!, 'base64').toString('utf16le');
    expect(script).toContain('Get-CimInstance -ClassName Win32_OperatingSystem');
    expect(script).toContain('MachineGuid');
  });

  it('reads the last boot time and the machine guid (PowerShell 5.1 JSON)', () => {
    expect(
      parseWindowsHost(
        '{"LastBootUpTime":"\\/Date(1764054320500)\\/","MachineGuid":"6F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9"}\r\n',
      ),
    ).toEqual({
      bootTimeMs: 1764054320500,
      bootId: 'boot-1764054320500',
      machineId: '6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
    });
  });

  it('gives empty facts for output that is not JSON', () => {
    expect(parseWindowsHost('Access denied')).toEqual({ bootTimeMs: 0, bootId: '', machineId: '' });
  });
});
