// Printer selection by --write-out (etcdctl NewPrinter).
import type { Output } from '../io.js';
import { FieldsPrinter } from './fields.js';
import { JsonPrinter } from './json.js';
import type { OutputFormat, Printer } from './printer.js';
import { ProtobufPrinter } from './protobuf.js';
import { SimplePrinter } from './simple.js';
import { TablePrinter } from './table.js';

export function newPrinter(format: OutputFormat, isHex: boolean, out: Output, err: Output): Printer {
  switch (format) {
    case 'simple': return new SimplePrinter(out, err, isHex);
    case 'json': return new JsonPrinter(out);
    case 'fields': return new FieldsPrinter(out);
    case 'table': return new TablePrinter(out);
    case 'protobuf': return new ProtobufPrinter(out);
  }
}

export { SimplePrinter, JsonPrinter, FieldsPrinter, TablePrinter, ProtobufPrinter };
export type { Printer, OutputFormat, EpHealth, EpStatus, EpHashKV } from './printer.js';
export { isOutputFormat } from './printer.js';
