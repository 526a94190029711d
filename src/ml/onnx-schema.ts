// The subset of onnx.proto (package "onnx", proto2) that the ONNX importer decodes, as a protobufjs
// JSON descriptor: protobufjs/light builds its reflection types from it, with no .proto parser and
// no file access, so the importer works the same in Node and in browsers.
//
// Field numbers follow onnx/onnx.proto (IR version 8 / ONNX 1.12 and later; these numbers are
// frozen by the protobuf compatibility rules). Fields the importer never reads (doc strings,
// metadata, training info, functions, sparse tensors, subgraphs of control-flow operators, …) are
// left out: protobuf decoders skip unknown fields, so models that carry them still decode.
// Enum-typed fields (AttributeProto.type, TensorProto.data_location) are declared as int32 so that
// values unknown to this schema stay visible instead of being diverted to unknown fields.

const repeated = "repeated" as const;

export const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            ir_version: { type: "int64", id: 1 },
            producer_name: { type: "string", id: 2 },
            producer_version: { type: "string", id: 3 },
            domain: { type: "string", id: 4 },
            model_version: { type: "int64", id: 5 },
            graph: { type: "GraphProto", id: 7 },
            opset_import: { rule: repeated, type: "OperatorSetIdProto", id: 8 },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: { type: "string", id: 1 },
            version: { type: "int64", id: 2 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: repeated, type: "NodeProto", id: 1 },
            name: { type: "string", id: 2 },
            initializer: { rule: repeated, type: "TensorProto", id: 5 },
            input: { rule: repeated, type: "ValueInfoProto", id: 11 },
            output: { rule: repeated, type: "ValueInfoProto", id: 12 },
            value_info: { rule: repeated, type: "ValueInfoProto", id: 13 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: repeated, type: "string", id: 1 },
            output: { rule: repeated, type: "string", id: 2 },
            name: { type: "string", id: 3 },
            op_type: { type: "string", id: 4 },
            attribute: { rule: repeated, type: "AttributeProto", id: 5 },
            domain: { type: "string", id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 },
            f: { type: "float", id: 2 },
            i: { type: "int64", id: 3 },
            s: { type: "bytes", id: 4 },
            t: { type: "TensorProto", id: 5 },
            floats: { rule: repeated, type: "float", id: 7, options: { packed: true } },
            ints: { rule: repeated, type: "int64", id: 8, options: { packed: true } },
            strings: { rule: repeated, type: "bytes", id: 9 },
            tensors: { rule: repeated, type: "TensorProto", id: 10 },
            type: { type: "int32", id: 20 }, // AttributeProto.AttributeType
            ref_attr_name: { type: "string", id: 21 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: repeated, type: "int64", id: 1, options: { packed: true } },
            data_type: { type: "int32", id: 2 }, // TensorProto.DataType
            float_data: { rule: repeated, type: "float", id: 4, options: { packed: true } },
            int32_data: { rule: repeated, type: "int32", id: 5, options: { packed: true } },
            string_data: { rule: repeated, type: "bytes", id: 6 },
            int64_data: { rule: repeated, type: "int64", id: 7, options: { packed: true } },
            name: { type: "string", id: 8 },
            raw_data: { type: "bytes", id: 9 },
            double_data: { rule: repeated, type: "double", id: 10, options: { packed: true } },
            uint64_data: { rule: repeated, type: "uint64", id: 11, options: { packed: true } },
            external_data: { rule: repeated, type: "StringStringEntryProto", id: 13 },
            data_location: { type: "int32", id: 14 }, // TensorProto.DataLocation: 0 DEFAULT, 1 EXTERNAL
          },
        },
        StringStringEntryProto: {
          fields: {
            key: { type: "string", id: 1 },
            value: { type: "string", id: 2 },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: "string", id: 1 },
            type: { type: "TypeProto", id: 2 },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ["tensor_type", "sequence_type", "map_type"] } },
          fields: {
            tensor_type: { type: "TypeProtoTensor", id: 1 },
            sequence_type: { type: "TypeProtoSequence", id: 4 },
            map_type: { type: "TypeProtoMap", id: 5 },
          },
        },
        // TypeProto.Tensor, TypeProto.Sequence and TypeProto.Map, un-nested (names do not matter on the wire).
        TypeProtoTensor: {
          fields: {
            elem_type: { type: "int32", id: 1 },
            shape: { type: "TensorShapeProto", id: 2 },
          },
        },
        TypeProtoSequence: {
          fields: {
            elem_type: { type: "TypeProto", id: 1 },
          },
        },
        TypeProtoMap: {
          fields: {
            key_type: { type: "int32", id: 1 },
            value_type: { type: "TypeProto", id: 2 },
          },
        },
        TensorShapeProto: {
          fields: {
            dim: { rule: repeated, type: "TensorShapeProtoDimension", id: 1 },
          },
        },
        TensorShapeProtoDimension: {
          oneofs: { value: { oneof: ["dim_value", "dim_param"] } },
          fields: {
            dim_value: { type: "int64", id: 1 },
            dim_param: { type: "string", id: 2 },
            denotation: { type: "string", id: 3 },
          },
        },
      },
    },
  },
};
