#!/usr/bin/python3
"""A pymodbus 3.0 client run against the Irrigation.Modbus server, for interop tests.

Usage: /usr/bin/python3 pymodbus_client.py socket|rtu PORT

Connects to 127.0.0.1:PORT (Modbus TCP, or RTU frames over TCP), runs one fixed sequence against unit 1 and
prints one line of JSON with what it saw. The test that starts it owns the data; this script only reports:

  meter_registers      holding 0x2006, 4 registers (two float32 values)
  meter_abcd           those registers decoded by pymodbus' BinaryPayloadDecoder, big-endian words (ABCD)
  meter_cdab           the same registers decoded with little-endian word order (CDAB)
  input_registers      input registers 0..3
  coils / discrete_inputs   coils 0..7, discrete inputs 0..7
  then writes: register 0x000A = 777 (fc 06), registers 0x000B.. = [1, 2, 65535] (fc 16),
               coil 5 = on (fc 05), coils 8.. = [on, off, on] (fc 15)
  holding_after        holding 0x000A, 4 registers, read back
  coils_after          coils 0..15, read back
  unmapped_exception   the exception code answered to a read of holding 0x3000 (null if none)

Every request has a 2 s timeout and no retries; a failed request ends the script with exit code 2.
"""

import json
import sys

from pymodbus.client import ModbusTcpClient
from pymodbus.constants import Endian
from pymodbus.payload import BinaryPayloadDecoder
from pymodbus.pdu import ExceptionResponse
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer

UNIT = 1


def ok(response, what):
    if response is None or not hasattr(response, "function_code") or response.isError():
        print("%s failed: %r" % (what, response), file=sys.stderr)
        sys.exit(2)
    return response


def floats(registers, wordorder):
    decoder = BinaryPayloadDecoder.fromRegisters(registers, byteorder=Endian.Big, wordorder=wordorder)
    return [decoder.decode_32bit_float() for _ in range(len(registers) // 2)]


def main(framing, port):
    framer = {"socket": ModbusSocketFramer, "rtu": ModbusRtuFramer}[framing]
    client = ModbusTcpClient("127.0.0.1", port=port, framer=framer, timeout=2, retries=0)
    if not client.connect():
        print("cannot connect to 127.0.0.1:%d" % port, file=sys.stderr)
        sys.exit(2)
    try:
        report = {}
        meter = ok(client.read_holding_registers(0x2006, 4, slave=UNIT), "read holding 0x2006").registers
        report["meter_registers"] = meter
        report["meter_abcd"] = floats(meter, Endian.Big)
        report["meter_cdab"] = floats(meter, Endian.Little)
        report["input_registers"] = ok(client.read_input_registers(0, 4, slave=UNIT), "read input 0").registers
        report["coils"] = ok(client.read_coils(0, 8, slave=UNIT), "read coils 0").bits[:8]
        report["discrete_inputs"] = ok(client.read_discrete_inputs(0, 8, slave=UNIT), "read inputs 0").bits[:8]

        ok(client.write_register(0x000A, 777, slave=UNIT), "write register 0x000A")
        ok(client.write_registers(0x000B, [1, 2, 65535], slave=UNIT), "write registers 0x000B")
        ok(client.write_coil(5, True, slave=UNIT), "write coil 5")
        ok(client.write_coils(8, [True, False, True], slave=UNIT), "write coils 8")
        report["holding_after"] = ok(client.read_holding_registers(0x000A, 4, slave=UNIT), "read holding 0x000A").registers
        report["coils_after"] = ok(client.read_coils(0, 16, slave=UNIT), "read coils 0..15").bits[:16]

        unmapped = client.read_holding_registers(0x3000, 1, slave=UNIT)
        report["unmapped_exception"] = unmapped.exception_code if isinstance(unmapped, ExceptionResponse) else None
        print(json.dumps(report), flush=True)
    finally:
        client.close()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("socket", "rtu"):
        sys.exit("usage: pymodbus_client.py socket|rtu PORT")
    main(sys.argv[1], int(sys.argv[2]))
