import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime';
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc';
export var AdvertEnvelope;
(function (AdvertEnvelope) {
    let _codec;
    AdvertEnvelope.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if ((obj.task != null && obj.task !== '')) {
                    w.uint32(10);
                    w.string(obj.task);
                }
                if ((obj.sentAt != null && obj.sentAt !== 0)) {
                    w.uint32(16);
                    w.uint64Number(obj.sentAt);
                }
                if (obj.delta != null) {
                    w.uint32(26);
                    DeltaBody.codec().encode(obj.delta, w);
                }
                if (obj.version != null) {
                    w.uint32(34);
                    VersionBody.codec().encode(obj.version, w);
                }
                if (obj.presence != null) {
                    w.uint32(42);
                    PresenceBody.codec().encode(obj.presence, w);
                }
                if (obj.fraud != null) {
                    w.uint32(50);
                    FraudBody.codec().encode(obj.fraud, w);
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    task: '',
                    sentAt: 0
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            obj.task = reader.string();
                            break;
                        }
                        case 2: {
                            obj.sentAt = reader.uint64Number();
                            break;
                        }
                        case 3: {
                            obj.delta = DeltaBody.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.delta
                            });
                            break;
                        }
                        case 4: {
                            obj.version = VersionBody.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.version
                            });
                            break;
                        }
                        case 5: {
                            obj.presence = PresenceBody.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.presence
                            });
                            break;
                        }
                        case 6: {
                            obj.fraud = FraudBody.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.fraud
                            });
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            yield {
                                field: `${prefix}.task`,
                                value: reader.string()
                            };
                            break;
                        }
                        case 2: {
                            yield {
                                field: `${prefix}.sentAt`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        case 3: {
                            yield* DeltaBody.codec().stream(reader, reader.uint32(), `${prefix}.delta`, {
                                limits: opts.limits?.delta
                            });
                            break;
                        }
                        case 4: {
                            yield* VersionBody.codec().stream(reader, reader.uint32(), `${prefix}.version`, {
                                limits: opts.limits?.version
                            });
                            break;
                        }
                        case 5: {
                            yield* PresenceBody.codec().stream(reader, reader.uint32(), `${prefix}.presence`, {
                                limits: opts.limits?.presence
                            });
                            break;
                        }
                        case 6: {
                            yield* FraudBody.codec().stream(reader, reader.uint32(), `${prefix}.fraud`, {
                                limits: opts.limits?.fraud
                            });
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, AdvertEnvelope.codec());
    }
    AdvertEnvelope.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, AdvertEnvelope.codec(), opts);
    }
    AdvertEnvelope.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, AdvertEnvelope.codec(), opts);
    }
    AdvertEnvelope.stream = stream;
})(AdvertEnvelope || (AdvertEnvelope = {}));
export var DeltaBody;
(function (DeltaBody) {
    let _codec;
    DeltaBody.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if ((obj.round != null && obj.round !== 0)) {
                    w.uint32(8);
                    w.uint64Number(obj.round);
                }
                if ((obj.base != null && obj.base.byteLength > 0)) {
                    w.uint32(18);
                    w.bytes(obj.base);
                }
                if ((obj.delta != null && obj.delta.byteLength > 0)) {
                    w.uint32(26);
                    w.bytes(obj.delta);
                }
                if ((obj.bytes != null && obj.bytes !== 0)) {
                    w.uint32(32);
                    w.uint64Number(obj.bytes);
                }
                if ((obj.samples != null && obj.samples !== 0)) {
                    w.uint32(40);
                    w.uint64Number(obj.samples);
                }
                if ((obj.loss != null && obj.loss !== 0)) {
                    w.uint32(49);
                    w.double(obj.loss);
                }
                if ((obj.accuracy != null && obj.accuracy !== 0)) {
                    w.uint32(57);
                    w.double(obj.accuracy);
                }
                if (obj.signature != null) {
                    w.uint32(66);
                    w.bytes(obj.signature);
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    round: 0,
                    base: uint8ArrayAlloc(0),
                    delta: uint8ArrayAlloc(0),
                    bytes: 0,
                    samples: 0,
                    loss: 0,
                    accuracy: 0
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            obj.round = reader.uint64Number();
                            break;
                        }
                        case 2: {
                            obj.base = reader.bytes();
                            break;
                        }
                        case 3: {
                            obj.delta = reader.bytes();
                            break;
                        }
                        case 4: {
                            obj.bytes = reader.uint64Number();
                            break;
                        }
                        case 5: {
                            obj.samples = reader.uint64Number();
                            break;
                        }
                        case 6: {
                            obj.loss = reader.double();
                            break;
                        }
                        case 7: {
                            obj.accuracy = reader.double();
                            break;
                        }
                        case 8: {
                            obj.signature = reader.bytes();
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            yield {
                                field: `${prefix}.round`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        case 2: {
                            yield {
                                field: `${prefix}.base`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 3: {
                            yield {
                                field: `${prefix}.delta`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 4: {
                            yield {
                                field: `${prefix}.bytes`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        case 5: {
                            yield {
                                field: `${prefix}.samples`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        case 6: {
                            yield {
                                field: `${prefix}.loss`,
                                value: reader.double()
                            };
                            break;
                        }
                        case 7: {
                            yield {
                                field: `${prefix}.accuracy`,
                                value: reader.double()
                            };
                            break;
                        }
                        case 8: {
                            yield {
                                field: `${prefix}.signature`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, DeltaBody.codec());
    }
    DeltaBody.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, DeltaBody.codec(), opts);
    }
    DeltaBody.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, DeltaBody.codec(), opts);
    }
    DeltaBody.stream = stream;
})(DeltaBody || (DeltaBody = {}));
export var Contributor;
(function (Contributor) {
    let _codec;
    Contributor.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if ((obj.peer != null && obj.peer.byteLength > 0)) {
                    w.uint32(10);
                    w.bytes(obj.peer);
                }
                if ((obj.delta != null && obj.delta.byteLength > 0)) {
                    w.uint32(18);
                    w.bytes(obj.delta);
                }
                if ((obj.samples != null && obj.samples !== 0)) {
                    w.uint32(24);
                    w.uint64Number(obj.samples);
                }
                if (obj.signature != null) {
                    w.uint32(34);
                    w.bytes(obj.signature);
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    peer: uint8ArrayAlloc(0),
                    delta: uint8ArrayAlloc(0),
                    samples: 0
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            obj.peer = reader.bytes();
                            break;
                        }
                        case 2: {
                            obj.delta = reader.bytes();
                            break;
                        }
                        case 3: {
                            obj.samples = reader.uint64Number();
                            break;
                        }
                        case 4: {
                            obj.signature = reader.bytes();
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            yield {
                                field: `${prefix}.peer`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 2: {
                            yield {
                                field: `${prefix}.delta`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 3: {
                            yield {
                                field: `${prefix}.samples`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        case 4: {
                            yield {
                                field: `${prefix}.signature`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, Contributor.codec());
    }
    Contributor.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, Contributor.codec(), opts);
    }
    Contributor.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, Contributor.codec(), opts);
    }
    Contributor.stream = stream;
})(Contributor || (Contributor = {}));
export var VersionBody;
(function (VersionBody) {
    let _codec;
    VersionBody.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if ((obj.round != null && obj.round !== 0)) {
                    w.uint32(8);
                    w.uint64Number(obj.round);
                }
                if ((obj.hash != null && obj.hash.byteLength > 0)) {
                    w.uint32(18);
                    w.bytes(obj.hash);
                }
                if ((obj.parent != null && obj.parent.byteLength > 0)) {
                    w.uint32(26);
                    w.bytes(obj.parent);
                }
                if ((obj.bytes != null && obj.bytes !== 0)) {
                    w.uint32(32);
                    w.uint64Number(obj.bytes);
                }
                if (obj.contributors != null && obj.contributors.length > 0) {
                    for (const value of obj.contributors) {
                        w.uint32(42);
                        Contributor.codec().encode(value, w);
                    }
                }
                if (obj.merged != null && obj.merged.length > 0) {
                    for (const value of obj.merged) {
                        w.uint32(50);
                        w.bytes(value);
                    }
                }
                if (obj.metrics != null) {
                    w.uint32(58);
                    VersionMetrics.codec().encode(obj.metrics, w);
                }
                if (obj.patch != null) {
                    w.uint32(66);
                    w.bytes(obj.patch);
                }
                if (obj.curator != null) {
                    w.uint32(74);
                    w.bytes(obj.curator);
                }
                if (obj.signature != null) {
                    w.uint32(82);
                    w.bytes(obj.signature);
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    round: 0,
                    hash: uint8ArrayAlloc(0),
                    parent: uint8ArrayAlloc(0),
                    bytes: 0,
                    contributors: [],
                    merged: []
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            obj.round = reader.uint64Number();
                            break;
                        }
                        case 2: {
                            obj.hash = reader.bytes();
                            break;
                        }
                        case 3: {
                            obj.parent = reader.bytes();
                            break;
                        }
                        case 4: {
                            obj.bytes = reader.uint64Number();
                            break;
                        }
                        case 5: {
                            if (opts.limits?.contributors != null && obj.contributors.length === opts.limits.contributors) {
                                throw new MaxLengthError('Decode error - repeated field "contributors" had too many elements');
                            }
                            obj.contributors.push(Contributor.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.contributors$
                            }));
                            break;
                        }
                        case 6: {
                            if (opts.limits?.merged != null && obj.merged.length === opts.limits.merged) {
                                throw new MaxLengthError('Decode error - repeated field "merged" had too many elements');
                            }
                            obj.merged.push(reader.bytes());
                            break;
                        }
                        case 7: {
                            obj.metrics = VersionMetrics.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.metrics
                            });
                            break;
                        }
                        case 8: {
                            obj.patch = reader.bytes();
                            break;
                        }
                        case 9: {
                            obj.curator = reader.bytes();
                            break;
                        }
                        case 10: {
                            obj.signature = reader.bytes();
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const obj = {
                    contributors: 0,
                    merged: 0
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            yield {
                                field: `${prefix}.round`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        case 2: {
                            yield {
                                field: `${prefix}.hash`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 3: {
                            yield {
                                field: `${prefix}.parent`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 4: {
                            yield {
                                field: `${prefix}.bytes`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        case 5: {
                            if (opts.limits?.contributors != null && obj.contributors === opts.limits.contributors) {
                                throw new MaxLengthError('Streaming decode error - repeated field "contributors" had too many elements');
                            }
                            for (const evt of Contributor.codec().stream(reader, reader.uint32(), `${prefix}.contributors[]`, {
                                limits: opts.limits?.contributors$
                            })) {
                                yield {
                                    ...evt,
                                    index: obj.contributors
                                };
                            }
                            obj.contributors++;
                            break;
                        }
                        case 6: {
                            if (opts.limits?.merged != null && obj.merged === opts.limits.merged) {
                                throw new MaxLengthError('Streaming decode error - repeated field "merged" had too many elements');
                            }
                            yield {
                                field: `${prefix}.merged[]`,
                                index: obj.merged,
                                value: reader.bytes()
                            };
                            obj.merged++;
                            break;
                        }
                        case 7: {
                            yield* VersionMetrics.codec().stream(reader, reader.uint32(), `${prefix}.metrics`, {
                                limits: opts.limits?.metrics
                            });
                            break;
                        }
                        case 8: {
                            yield {
                                field: `${prefix}.patch`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 9: {
                            yield {
                                field: `${prefix}.curator`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 10: {
                            yield {
                                field: `${prefix}.signature`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, VersionBody.codec());
    }
    VersionBody.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, VersionBody.codec(), opts);
    }
    VersionBody.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, VersionBody.codec(), opts);
    }
    VersionBody.stream = stream;
})(VersionBody || (VersionBody = {}));
export var FraudBody;
(function (FraudBody) {
    let _codec;
    FraudBody.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if (obj.version != null) {
                    w.uint32(10);
                    VersionBody.codec().encode(obj.version, w);
                }
                if ((obj.recomputed != null && obj.recomputed.byteLength > 0)) {
                    w.uint32(18);
                    w.bytes(obj.recomputed);
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    recomputed: uint8ArrayAlloc(0)
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            obj.version = VersionBody.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.version
                            });
                            break;
                        }
                        case 2: {
                            obj.recomputed = reader.bytes();
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            yield* VersionBody.codec().stream(reader, reader.uint32(), `${prefix}.version`, {
                                limits: opts.limits?.version
                            });
                            break;
                        }
                        case 2: {
                            yield {
                                field: `${prefix}.recomputed`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, FraudBody.codec());
    }
    FraudBody.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, FraudBody.codec(), opts);
    }
    FraudBody.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, FraudBody.codec(), opts);
    }
    FraudBody.stream = stream;
})(FraudBody || (FraudBody = {}));
export var DeltaStatement;
(function (DeltaStatement) {
    let _codec;
    DeltaStatement.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if ((obj.task != null && obj.task !== '')) {
                    w.uint32(10);
                    w.string(obj.task);
                }
                if ((obj.round != null && obj.round !== 0)) {
                    w.uint32(16);
                    w.uint64Number(obj.round);
                }
                if ((obj.base != null && obj.base.byteLength > 0)) {
                    w.uint32(26);
                    w.bytes(obj.base);
                }
                if ((obj.delta != null && obj.delta.byteLength > 0)) {
                    w.uint32(34);
                    w.bytes(obj.delta);
                }
                if ((obj.samples != null && obj.samples !== 0)) {
                    w.uint32(40);
                    w.uint64Number(obj.samples);
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    task: '',
                    round: 0,
                    base: uint8ArrayAlloc(0),
                    delta: uint8ArrayAlloc(0),
                    samples: 0
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            obj.task = reader.string();
                            break;
                        }
                        case 2: {
                            obj.round = reader.uint64Number();
                            break;
                        }
                        case 3: {
                            obj.base = reader.bytes();
                            break;
                        }
                        case 4: {
                            obj.delta = reader.bytes();
                            break;
                        }
                        case 5: {
                            obj.samples = reader.uint64Number();
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            yield {
                                field: `${prefix}.task`,
                                value: reader.string()
                            };
                            break;
                        }
                        case 2: {
                            yield {
                                field: `${prefix}.round`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        case 3: {
                            yield {
                                field: `${prefix}.base`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 4: {
                            yield {
                                field: `${prefix}.delta`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 5: {
                            yield {
                                field: `${prefix}.samples`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, DeltaStatement.codec());
    }
    DeltaStatement.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, DeltaStatement.codec(), opts);
    }
    DeltaStatement.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, DeltaStatement.codec(), opts);
    }
    DeltaStatement.stream = stream;
})(DeltaStatement || (DeltaStatement = {}));
export var VersionStatement;
(function (VersionStatement) {
    let _codec;
    VersionStatement.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if ((obj.task != null && obj.task !== '')) {
                    w.uint32(10);
                    w.string(obj.task);
                }
                if ((obj.round != null && obj.round !== 0)) {
                    w.uint32(16);
                    w.uint64Number(obj.round);
                }
                if ((obj.hash != null && obj.hash.byteLength > 0)) {
                    w.uint32(26);
                    w.bytes(obj.hash);
                }
                if ((obj.parent != null && obj.parent.byteLength > 0)) {
                    w.uint32(34);
                    w.bytes(obj.parent);
                }
                if ((obj.bytes != null && obj.bytes !== 0)) {
                    w.uint32(40);
                    w.uint64Number(obj.bytes);
                }
                if (obj.contributors != null && obj.contributors.length > 0) {
                    for (const value of obj.contributors) {
                        w.uint32(50);
                        Contributor.codec().encode(value, w);
                    }
                }
                if (obj.patch != null) {
                    w.uint32(58);
                    w.bytes(obj.patch);
                }
                if ((obj.curator != null && obj.curator.byteLength > 0)) {
                    w.uint32(66);
                    w.bytes(obj.curator);
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    task: '',
                    round: 0,
                    hash: uint8ArrayAlloc(0),
                    parent: uint8ArrayAlloc(0),
                    bytes: 0,
                    contributors: [],
                    curator: uint8ArrayAlloc(0)
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            obj.task = reader.string();
                            break;
                        }
                        case 2: {
                            obj.round = reader.uint64Number();
                            break;
                        }
                        case 3: {
                            obj.hash = reader.bytes();
                            break;
                        }
                        case 4: {
                            obj.parent = reader.bytes();
                            break;
                        }
                        case 5: {
                            obj.bytes = reader.uint64Number();
                            break;
                        }
                        case 6: {
                            if (opts.limits?.contributors != null && obj.contributors.length === opts.limits.contributors) {
                                throw new MaxLengthError('Decode error - repeated field "contributors" had too many elements');
                            }
                            obj.contributors.push(Contributor.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.contributors$
                            }));
                            break;
                        }
                        case 7: {
                            obj.patch = reader.bytes();
                            break;
                        }
                        case 8: {
                            obj.curator = reader.bytes();
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const obj = {
                    contributors: 0
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            yield {
                                field: `${prefix}.task`,
                                value: reader.string()
                            };
                            break;
                        }
                        case 2: {
                            yield {
                                field: `${prefix}.round`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        case 3: {
                            yield {
                                field: `${prefix}.hash`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 4: {
                            yield {
                                field: `${prefix}.parent`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 5: {
                            yield {
                                field: `${prefix}.bytes`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        case 6: {
                            if (opts.limits?.contributors != null && obj.contributors === opts.limits.contributors) {
                                throw new MaxLengthError('Streaming decode error - repeated field "contributors" had too many elements');
                            }
                            for (const evt of Contributor.codec().stream(reader, reader.uint32(), `${prefix}.contributors[]`, {
                                limits: opts.limits?.contributors$
                            })) {
                                yield {
                                    ...evt,
                                    index: obj.contributors
                                };
                            }
                            obj.contributors++;
                            break;
                        }
                        case 7: {
                            yield {
                                field: `${prefix}.patch`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 8: {
                            yield {
                                field: `${prefix}.curator`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, VersionStatement.codec());
    }
    VersionStatement.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, VersionStatement.codec(), opts);
    }
    VersionStatement.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, VersionStatement.codec(), opts);
    }
    VersionStatement.stream = stream;
})(VersionStatement || (VersionStatement = {}));
export var VersionMetrics;
(function (VersionMetrics) {
    let _codec;
    VersionMetrics.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if ((obj.loss != null && obj.loss !== 0)) {
                    w.uint32(9);
                    w.double(obj.loss);
                }
                if ((obj.accuracy != null && obj.accuracy !== 0)) {
                    w.uint32(17);
                    w.double(obj.accuracy);
                }
                if ((obj.samples != null && obj.samples !== 0)) {
                    w.uint32(24);
                    w.uint64Number(obj.samples);
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    loss: 0,
                    accuracy: 0,
                    samples: 0
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            obj.loss = reader.double();
                            break;
                        }
                        case 2: {
                            obj.accuracy = reader.double();
                            break;
                        }
                        case 3: {
                            obj.samples = reader.uint64Number();
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            yield {
                                field: `${prefix}.loss`,
                                value: reader.double()
                            };
                            break;
                        }
                        case 2: {
                            yield {
                                field: `${prefix}.accuracy`,
                                value: reader.double()
                            };
                            break;
                        }
                        case 3: {
                            yield {
                                field: `${prefix}.samples`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, VersionMetrics.codec());
    }
    VersionMetrics.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, VersionMetrics.codec(), opts);
    }
    VersionMetrics.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, VersionMetrics.codec(), opts);
    }
    VersionMetrics.stream = stream;
})(VersionMetrics || (VersionMetrics = {}));
export var PresenceBody;
(function (PresenceBody) {
    let _codec;
    PresenceBody.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if ((obj.round != null && obj.round !== 0)) {
                    w.uint32(8);
                    w.uint64Number(obj.round);
                }
                if ((obj.head != null && obj.head.byteLength > 0)) {
                    w.uint32(18);
                    w.bytes(obj.head);
                }
                if ((obj.age != null && obj.age !== 0)) {
                    w.uint32(24);
                    w.uint64Number(obj.age);
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    round: 0,
                    head: uint8ArrayAlloc(0),
                    age: 0
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            obj.round = reader.uint64Number();
                            break;
                        }
                        case 2: {
                            obj.head = reader.bytes();
                            break;
                        }
                        case 3: {
                            obj.age = reader.uint64Number();
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            yield {
                                field: `${prefix}.round`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        case 2: {
                            yield {
                                field: `${prefix}.head`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 3: {
                            yield {
                                field: `${prefix}.age`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, PresenceBody.codec());
    }
    PresenceBody.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, PresenceBody.codec(), opts);
    }
    PresenceBody.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, PresenceBody.codec(), opts);
    }
    PresenceBody.stream = stream;
})(PresenceBody || (PresenceBody = {}));
