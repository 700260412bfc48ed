import { onnx } from 'onnx-proto';

/**
 * A deliberately small ONNX graph writer over `onnx-proto`: just what the hand-written USE-lite graph needs.
 * Each helper returns the name of the value it produces, so graph code reads like the maths it encodes.
 *
 * Output bytes are deterministic (no timestamps, no random names): the model checksum is part of the encoder
 * id, and every stored vector is keyed by that id, so rebuilding the folder on another machine must produce
 * the identical file.
 */

const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

export type Dim = number | string;

type AttributeValue = number | number[] | string;
type Attributes = Record<string, AttributeValue | { float: number }>;

export class OnnxGraph {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private readonly int64Constants = new Map<string, string>();

  /** Declares a graph input. */
  input(name: string, elemType: 'int64' | 'float', dims: Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares an existing value as a graph output. */
  output(name: string, elemType: 'int64' | 'float', dims: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float32 initializer; the array is copied into raw little-endian bytes. */
  float(name: string, dims: number[], data: Float32Array | number[]): string {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const expected = dims.reduce((a, b) => a * b, 1);
    if (values.length !== expected) {
      throw new Error(`initializer ${name}: ${values.length} values for shape [${dims.join(', ')}]`);
    }
    this.claim(name);
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: toLittleEndianBytes(values) });
    return name;
  }

  /** An int64 initializer, shared between all uses of the same values (shapes, axes, slice bounds). */
  ints(values: number[]): string {
    const key = values.join(',');
    const existing = this.int64Constants.get(key);
    if (existing) return existing;
    const name = this.unique(`const_i64_${values.map((v) => String(v).replace('-', 'm')).join('_')}`);
    const raw = Buffer.alloc(values.length * 8);
    values.forEach((v, i) => raw.writeBigInt64LE(BigInt(v), i * 8));
    this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, rawData: raw });
    this.int64Constants.set(key, name);
    return name;
  }

  /** A scalar float initializer. */
  scalar(name: string, value: number): string {
    this.claim(name);
    const raw = toLittleEndianBytes(Float32Array.of(value));
    this.initializers.push({ name, dims: [], dataType: DataType.FLOAT, rawData: raw });
    return name;
  }

  /** Adds a node with one output and returns that output's name. */
  op(opType: string, inputs: string[], outputName: string, attributes: Attributes = {}): string {
    return this.opMulti(opType, inputs, [outputName], attributes)[0];
  }

  /** Adds a node with several outputs (Split). */
  opMulti(opType: string, inputs: string[], outputNames: string[], attributes: Attributes = {}): string[] {
    const outputs = outputNames.map((n) => this.unique(n));
    this.nodes.push({
      opType,
      name: outputs[0],
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return outputs;
  }

  /** Serialises the model (opset 13, IR version 7: the pairing onnxruntime 1.14 expects for opset 13). */
  toBytes(meta: {
    producerName: string;
    producerVersion: string;
    docString: string;
    graphName: string;
  }): Buffer {
    const model: onnx.IModelProto = {
      irVersion: 7,
      opsetImport: [{ domain: '', version: 13 }],
      producerName: meta.producerName,
      producerVersion: meta.producerVersion,
      docString: meta.docString,
      graph: {
        name: meta.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    const err = onnx.ModelProto.verify(model);
    if (err) throw new Error(`invalid ONNX model: ${err}`);
    return Buffer.from(onnx.ModelProto.encode(model).finish());
  }

  private claim(name: string): void {
    if (this.usedNames.has(name)) throw new Error(`duplicate ONNX value name ${name}`);
    this.usedNames.add(name);
  }

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }
}

function valueInfo(name: string, elemType: 'int64' | 'float', dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: elemType === 'int64' ? DataType.INT64 : DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue | { float: number }): onnx.IAttributeProto {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: Buffer.from(value, 'utf8') };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  return { name, type: AttributeType.FLOAT, f: value.float };
}

/** ONNX raw_data is little-endian whatever the host; Buffer writes make that explicit. */
function toLittleEndianBytes(values: Float32Array): Buffer {
  const raw = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) raw.writeFloatLE(values[i], i * 4);
  return raw;
}
