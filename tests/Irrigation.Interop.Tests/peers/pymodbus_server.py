#!/usr/bin/python3
"""A pymodbus 3.0 TCP server with fixed, documented data, for interop tests of Irrigation.Modbus.

Usage: /usr/bin/python3 pymodbus_server.py socket|rtu

  socket  Modbus TCP (MBAP, pymodbus ModbusSocketFramer)
  rtu     RTU frames with CRC over TCP (pymodbus ModbusRtuFramer), as a serial server or DTU speaks

Binds 127.0.0.1 port 0 and prints "PORT <n>" on stdout once it accepts connections. Runs until killed,
or until stdin closes (so it never outlives the test process that started it).

Data (single slave context: every unit id is answered; zero_mode=True, so the addresses below are PDU
addresses, the ones on the wire; values are encoded with struct, independently of the C# codec):

  holding registers, block 100..119 (20 registers)
    100-101  float32  230.5        ABCD (big-endian words)  = 0x4366 0x8000
    102-103  int32    -123456      ABCD                     = 0xFFFE 0x1DC0
    104-105  float32  49.98        CDAB (low word first)
    106-119  0, scratch for writes
  input registers, block 200..209 (10 registers)
    200      uint16   4242
    201      int16    -2           = 0xFFFE
    202-203  float32  -12.25       ABCD
    204-209  0
  coils, block 0..15:            1 0 1 1 0 0 0 1  0 0 0 0 0 0 0 0   (0..7 fixed, 8..15 scratch for writes)
  discrete inputs, block 0..15:  0 1 1 0 1 0 0 0  1 0 0 0 0 0 0 1

Anything outside these blocks is answered with exception 02 (IllegalAddress) by pymodbus.
"""

import asyncio
import struct
import sys

from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.server.async_io import ModbusTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer


def words(fmt, value):
    """Big-endian bytes of value as 16-bit registers (ABCD)."""
    data = struct.pack(fmt, value)
    return list(struct.unpack(">%dH" % (len(data) // 2), data))


def build_context():
    holding = [0] * 20
    holding[0:2] = words(">f", 230.5)
    holding[2:4] = words(">i", -123456)
    holding[4:6] = list(reversed(words(">f", 49.98)))  # CDAB
    inputs = [0] * 10
    inputs[0] = 4242
    inputs[1] = words(">h", -2)[0]
    inputs[2:4] = words(">f", -12.25)
    coils = [1, 0, 1, 1, 0, 0, 0, 1] + [0] * 8
    discrete = [0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    slave = ModbusSlaveContext(
        di=ModbusSequentialDataBlock(0, discrete),
        co=ModbusSequentialDataBlock(0, coils),
        hr=ModbusSequentialDataBlock(100, holding),
        ir=ModbusSequentialDataBlock(200, inputs),
        zero_mode=True,
    )
    return ModbusServerContext(slaves=slave, single=True)


async def watch_stdin():
    """Completes when stdin reaches end of file (the parent went away)."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


async def main(framing):
    framer = {"socket": ModbusSocketFramer, "rtu": ModbusRtuFramer}[framing]
    server = ModbusTcpServer(build_context(), framer=framer, address=("127.0.0.1", 0))
    serving = asyncio.create_task(server.serve_forever())
    await asyncio.wait_for(server.serving, timeout=10)
    port = server.server.sockets[0].getsockname()[1]
    print("PORT %d" % port, flush=True)
    stdin_closed = asyncio.create_task(watch_stdin())
    await asyncio.wait({serving, stdin_closed}, return_when=asyncio.FIRST_COMPLETED)
    await server.server_close()


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("socket", "rtu"):
        sys.exit("usage: pymodbus_server.py socket|rtu")
    asyncio.run(main(sys.argv[1]))
