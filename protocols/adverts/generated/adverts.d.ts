import type { Codec, DecodeOptions } from 'protons-runtime';
import type { Uint8ArrayList } from 'uint8arraylist';
export interface AdvertEnvelope {
    task: string;
    sentAt: number;
    delta?: DeltaBody;
    version?: VersionBody;
    presence?: PresenceBody;
    fraud?: FraudBody;
}
export declare namespace AdvertEnvelope {
    const codec: () => Codec<AdvertEnvelope>;
    interface AdvertEnvelopeTaskFieldEvent {
        field: '$.task';
        value: string;
    }
    interface AdvertEnvelopeSentAtFieldEvent {
        field: '$.sentAt';
        value: number;
    }
    interface AdvertEnvelopeDeltaRoundFieldEvent {
        field: '$.delta.round';
        value: number;
    }
    interface AdvertEnvelopeDeltaBaseFieldEvent {
        field: '$.delta.base';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeDeltaDeltaFieldEvent {
        field: '$.delta.delta';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeDeltaBytesFieldEvent {
        field: '$.delta.bytes';
        value: number;
    }
    interface AdvertEnvelopeDeltaSamplesFieldEvent {
        field: '$.delta.samples';
        value: number;
    }
    interface AdvertEnvelopeDeltaLossFieldEvent {
        field: '$.delta.loss';
        value: number;
    }
    interface AdvertEnvelopeDeltaAccuracyFieldEvent {
        field: '$.delta.accuracy';
        value: number;
    }
    interface AdvertEnvelopeDeltaSignatureFieldEvent {
        field: '$.delta.signature';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeVersionRoundFieldEvent {
        field: '$.version.round';
        value: number;
    }
    interface AdvertEnvelopeVersionHashFieldEvent {
        field: '$.version.hash';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeVersionParentFieldEvent {
        field: '$.version.parent';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeVersionBytesFieldEvent {
        field: '$.version.bytes';
        value: number;
    }
    interface AdvertEnvelopeVersionContributorsPeerFieldEvent {
        field: '$.version.contributors[].peer';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface AdvertEnvelopeVersionContributorsDeltaFieldEvent {
        field: '$.version.contributors[].delta';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface AdvertEnvelopeVersionContributorsSamplesFieldEvent {
        field: '$.version.contributors[].samples';
        value: number;
        index: number;
    }
    interface AdvertEnvelopeVersionContributorsSignatureFieldEvent {
        field: '$.version.contributors[].signature';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface AdvertEnvelopeVersionMergedFieldEvent {
        field: '$.version.merged[]';
        index: number;
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeVersionMetricsLossFieldEvent {
        field: '$.version.metrics.loss';
        value: number;
    }
    interface AdvertEnvelopeVersionMetricsAccuracyFieldEvent {
        field: '$.version.metrics.accuracy';
        value: number;
    }
    interface AdvertEnvelopeVersionMetricsSamplesFieldEvent {
        field: '$.version.metrics.samples';
        value: number;
    }
    interface AdvertEnvelopeVersionPatchFieldEvent {
        field: '$.version.patch';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeVersionCuratorFieldEvent {
        field: '$.version.curator';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeVersionSignatureFieldEvent {
        field: '$.version.signature';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopePresenceRoundFieldEvent {
        field: '$.presence.round';
        value: number;
    }
    interface AdvertEnvelopePresenceHeadFieldEvent {
        field: '$.presence.head';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopePresenceAgeFieldEvent {
        field: '$.presence.age';
        value: number;
    }
    interface AdvertEnvelopeFraudVersionRoundFieldEvent {
        field: '$.fraud.version.round';
        value: number;
    }
    interface AdvertEnvelopeFraudVersionHashFieldEvent {
        field: '$.fraud.version.hash';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeFraudVersionParentFieldEvent {
        field: '$.fraud.version.parent';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeFraudVersionBytesFieldEvent {
        field: '$.fraud.version.bytes';
        value: number;
    }
    interface AdvertEnvelopeFraudVersionContributorsPeerFieldEvent {
        field: '$.fraud.version.contributors[].peer';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface AdvertEnvelopeFraudVersionContributorsDeltaFieldEvent {
        field: '$.fraud.version.contributors[].delta';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface AdvertEnvelopeFraudVersionContributorsSamplesFieldEvent {
        field: '$.fraud.version.contributors[].samples';
        value: number;
        index: number;
    }
    interface AdvertEnvelopeFraudVersionContributorsSignatureFieldEvent {
        field: '$.fraud.version.contributors[].signature';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface AdvertEnvelopeFraudVersionMergedFieldEvent {
        field: '$.fraud.version.merged[]';
        index: number;
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeFraudVersionMetricsLossFieldEvent {
        field: '$.fraud.version.metrics.loss';
        value: number;
    }
    interface AdvertEnvelopeFraudVersionMetricsAccuracyFieldEvent {
        field: '$.fraud.version.metrics.accuracy';
        value: number;
    }
    interface AdvertEnvelopeFraudVersionMetricsSamplesFieldEvent {
        field: '$.fraud.version.metrics.samples';
        value: number;
    }
    interface AdvertEnvelopeFraudVersionPatchFieldEvent {
        field: '$.fraud.version.patch';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeFraudVersionCuratorFieldEvent {
        field: '$.fraud.version.curator';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeFraudVersionSignatureFieldEvent {
        field: '$.fraud.version.signature';
        value: Uint8Array<ArrayBuffer>;
    }
    interface AdvertEnvelopeFraudRecomputedFieldEvent {
        field: '$.fraud.recomputed';
        value: Uint8Array<ArrayBuffer>;
    }
    function encode(obj: Partial<AdvertEnvelope>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdvertEnvelope>): AdvertEnvelope;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdvertEnvelope>): Generator<AdvertEnvelopeTaskFieldEvent | AdvertEnvelopeSentAtFieldEvent | AdvertEnvelopeDeltaRoundFieldEvent | AdvertEnvelopeDeltaBaseFieldEvent | AdvertEnvelopeDeltaDeltaFieldEvent | AdvertEnvelopeDeltaBytesFieldEvent | AdvertEnvelopeDeltaSamplesFieldEvent | AdvertEnvelopeDeltaLossFieldEvent | AdvertEnvelopeDeltaAccuracyFieldEvent | AdvertEnvelopeDeltaSignatureFieldEvent | AdvertEnvelopeVersionRoundFieldEvent | AdvertEnvelopeVersionHashFieldEvent | AdvertEnvelopeVersionParentFieldEvent | AdvertEnvelopeVersionBytesFieldEvent | AdvertEnvelopeVersionContributorsPeerFieldEvent | AdvertEnvelopeVersionContributorsDeltaFieldEvent | AdvertEnvelopeVersionContributorsSamplesFieldEvent | AdvertEnvelopeVersionContributorsSignatureFieldEvent | AdvertEnvelopeVersionMergedFieldEvent | AdvertEnvelopeVersionMetricsLossFieldEvent | AdvertEnvelopeVersionMetricsAccuracyFieldEvent | AdvertEnvelopeVersionMetricsSamplesFieldEvent | AdvertEnvelopeVersionPatchFieldEvent | AdvertEnvelopeVersionCuratorFieldEvent | AdvertEnvelopeVersionSignatureFieldEvent | AdvertEnvelopePresenceRoundFieldEvent | AdvertEnvelopePresenceHeadFieldEvent | AdvertEnvelopePresenceAgeFieldEvent | AdvertEnvelopeFraudVersionRoundFieldEvent | AdvertEnvelopeFraudVersionHashFieldEvent | AdvertEnvelopeFraudVersionParentFieldEvent | AdvertEnvelopeFraudVersionBytesFieldEvent | AdvertEnvelopeFraudVersionContributorsPeerFieldEvent | AdvertEnvelopeFraudVersionContributorsDeltaFieldEvent | AdvertEnvelopeFraudVersionContributorsSamplesFieldEvent | AdvertEnvelopeFraudVersionContributorsSignatureFieldEvent | AdvertEnvelopeFraudVersionMergedFieldEvent | AdvertEnvelopeFraudVersionMetricsLossFieldEvent | AdvertEnvelopeFraudVersionMetricsAccuracyFieldEvent | AdvertEnvelopeFraudVersionMetricsSamplesFieldEvent | AdvertEnvelopeFraudVersionPatchFieldEvent | AdvertEnvelopeFraudVersionCuratorFieldEvent | AdvertEnvelopeFraudVersionSignatureFieldEvent | AdvertEnvelopeFraudRecomputedFieldEvent>;
}
export interface DeltaBody {
    round: number;
    base: Uint8Array<ArrayBuffer>;
    delta: Uint8Array<ArrayBuffer>;
    bytes: number;
    samples: number;
    loss: number;
    accuracy: number;
    signature?: Uint8Array<ArrayBuffer>;
}
export declare namespace DeltaBody {
    const codec: () => Codec<DeltaBody>;
    interface DeltaBodyRoundFieldEvent {
        field: '$.round';
        value: number;
    }
    interface DeltaBodyBaseFieldEvent {
        field: '$.base';
        value: Uint8Array<ArrayBuffer>;
    }
    interface DeltaBodyDeltaFieldEvent {
        field: '$.delta';
        value: Uint8Array<ArrayBuffer>;
    }
    interface DeltaBodyBytesFieldEvent {
        field: '$.bytes';
        value: number;
    }
    interface DeltaBodySamplesFieldEvent {
        field: '$.samples';
        value: number;
    }
    interface DeltaBodyLossFieldEvent {
        field: '$.loss';
        value: number;
    }
    interface DeltaBodyAccuracyFieldEvent {
        field: '$.accuracy';
        value: number;
    }
    interface DeltaBodySignatureFieldEvent {
        field: '$.signature';
        value: Uint8Array<ArrayBuffer>;
    }
    function encode(obj: Partial<DeltaBody>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeltaBody>): DeltaBody;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeltaBody>): Generator<DeltaBodyRoundFieldEvent | DeltaBodyBaseFieldEvent | DeltaBodyDeltaFieldEvent | DeltaBodyBytesFieldEvent | DeltaBodySamplesFieldEvent | DeltaBodyLossFieldEvent | DeltaBodyAccuracyFieldEvent | DeltaBodySignatureFieldEvent>;
}
export interface Contributor {
    peer: Uint8Array<ArrayBuffer>;
    delta: Uint8Array<ArrayBuffer>;
    samples: number;
    signature?: Uint8Array<ArrayBuffer>;
}
export declare namespace Contributor {
    const codec: () => Codec<Contributor>;
    interface ContributorPeerFieldEvent {
        field: '$.peer';
        value: Uint8Array<ArrayBuffer>;
    }
    interface ContributorDeltaFieldEvent {
        field: '$.delta';
        value: Uint8Array<ArrayBuffer>;
    }
    interface ContributorSamplesFieldEvent {
        field: '$.samples';
        value: number;
    }
    interface ContributorSignatureFieldEvent {
        field: '$.signature';
        value: Uint8Array<ArrayBuffer>;
    }
    function encode(obj: Partial<Contributor>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Contributor>): Contributor;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Contributor>): Generator<ContributorPeerFieldEvent | ContributorDeltaFieldEvent | ContributorSamplesFieldEvent | ContributorSignatureFieldEvent>;
}
export interface VersionBody {
    round: number;
    hash: Uint8Array<ArrayBuffer>;
    parent: Uint8Array<ArrayBuffer>;
    bytes: number;
    contributors: Contributor[];
    merged: Uint8Array<ArrayBuffer>[];
    metrics?: VersionMetrics;
    patch?: Uint8Array<ArrayBuffer>;
    curator?: Uint8Array<ArrayBuffer>;
    signature?: Uint8Array<ArrayBuffer>;
}
export declare namespace VersionBody {
    const codec: () => Codec<VersionBody>;
    interface VersionBodyRoundFieldEvent {
        field: '$.round';
        value: number;
    }
    interface VersionBodyHashFieldEvent {
        field: '$.hash';
        value: Uint8Array<ArrayBuffer>;
    }
    interface VersionBodyParentFieldEvent {
        field: '$.parent';
        value: Uint8Array<ArrayBuffer>;
    }
    interface VersionBodyBytesFieldEvent {
        field: '$.bytes';
        value: number;
    }
    interface VersionBodyContributorsPeerFieldEvent {
        field: '$.contributors[].peer';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface VersionBodyContributorsDeltaFieldEvent {
        field: '$.contributors[].delta';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface VersionBodyContributorsSamplesFieldEvent {
        field: '$.contributors[].samples';
        value: number;
        index: number;
    }
    interface VersionBodyContributorsSignatureFieldEvent {
        field: '$.contributors[].signature';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface VersionBodyMergedFieldEvent {
        field: '$.merged[]';
        index: number;
        value: Uint8Array<ArrayBuffer>;
    }
    interface VersionBodyMetricsLossFieldEvent {
        field: '$.metrics.loss';
        value: number;
    }
    interface VersionBodyMetricsAccuracyFieldEvent {
        field: '$.metrics.accuracy';
        value: number;
    }
    interface VersionBodyMetricsSamplesFieldEvent {
        field: '$.metrics.samples';
        value: number;
    }
    interface VersionBodyPatchFieldEvent {
        field: '$.patch';
        value: Uint8Array<ArrayBuffer>;
    }
    interface VersionBodyCuratorFieldEvent {
        field: '$.curator';
        value: Uint8Array<ArrayBuffer>;
    }
    interface VersionBodySignatureFieldEvent {
        field: '$.signature';
        value: Uint8Array<ArrayBuffer>;
    }
    function encode(obj: Partial<VersionBody>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<VersionBody>): VersionBody;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<VersionBody>): Generator<VersionBodyRoundFieldEvent | VersionBodyHashFieldEvent | VersionBodyParentFieldEvent | VersionBodyBytesFieldEvent | VersionBodyContributorsPeerFieldEvent | VersionBodyContributorsDeltaFieldEvent | VersionBodyContributorsSamplesFieldEvent | VersionBodyContributorsSignatureFieldEvent | VersionBodyMergedFieldEvent | VersionBodyMetricsLossFieldEvent | VersionBodyMetricsAccuracyFieldEvent | VersionBodyMetricsSamplesFieldEvent | VersionBodyPatchFieldEvent | VersionBodyCuratorFieldEvent | VersionBodySignatureFieldEvent>;
}
export interface FraudBody {
    version?: VersionBody;
    recomputed: Uint8Array<ArrayBuffer>;
}
export declare namespace FraudBody {
    const codec: () => Codec<FraudBody>;
    interface FraudBodyVersionRoundFieldEvent {
        field: '$.version.round';
        value: number;
    }
    interface FraudBodyVersionHashFieldEvent {
        field: '$.version.hash';
        value: Uint8Array<ArrayBuffer>;
    }
    interface FraudBodyVersionParentFieldEvent {
        field: '$.version.parent';
        value: Uint8Array<ArrayBuffer>;
    }
    interface FraudBodyVersionBytesFieldEvent {
        field: '$.version.bytes';
        value: number;
    }
    interface FraudBodyVersionContributorsPeerFieldEvent {
        field: '$.version.contributors[].peer';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface FraudBodyVersionContributorsDeltaFieldEvent {
        field: '$.version.contributors[].delta';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface FraudBodyVersionContributorsSamplesFieldEvent {
        field: '$.version.contributors[].samples';
        value: number;
        index: number;
    }
    interface FraudBodyVersionContributorsSignatureFieldEvent {
        field: '$.version.contributors[].signature';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface FraudBodyVersionMergedFieldEvent {
        field: '$.version.merged[]';
        index: number;
        value: Uint8Array<ArrayBuffer>;
    }
    interface FraudBodyVersionMetricsLossFieldEvent {
        field: '$.version.metrics.loss';
        value: number;
    }
    interface FraudBodyVersionMetricsAccuracyFieldEvent {
        field: '$.version.metrics.accuracy';
        value: number;
    }
    interface FraudBodyVersionMetricsSamplesFieldEvent {
        field: '$.version.metrics.samples';
        value: number;
    }
    interface FraudBodyVersionPatchFieldEvent {
        field: '$.version.patch';
        value: Uint8Array<ArrayBuffer>;
    }
    interface FraudBodyVersionCuratorFieldEvent {
        field: '$.version.curator';
        value: Uint8Array<ArrayBuffer>;
    }
    interface FraudBodyVersionSignatureFieldEvent {
        field: '$.version.signature';
        value: Uint8Array<ArrayBuffer>;
    }
    interface FraudBodyRecomputedFieldEvent {
        field: '$.recomputed';
        value: Uint8Array<ArrayBuffer>;
    }
    function encode(obj: Partial<FraudBody>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FraudBody>): FraudBody;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FraudBody>): Generator<FraudBodyVersionRoundFieldEvent | FraudBodyVersionHashFieldEvent | FraudBodyVersionParentFieldEvent | FraudBodyVersionBytesFieldEvent | FraudBodyVersionContributorsPeerFieldEvent | FraudBodyVersionContributorsDeltaFieldEvent | FraudBodyVersionContributorsSamplesFieldEvent | FraudBodyVersionContributorsSignatureFieldEvent | FraudBodyVersionMergedFieldEvent | FraudBodyVersionMetricsLossFieldEvent | FraudBodyVersionMetricsAccuracyFieldEvent | FraudBodyVersionMetricsSamplesFieldEvent | FraudBodyVersionPatchFieldEvent | FraudBodyVersionCuratorFieldEvent | FraudBodyVersionSignatureFieldEvent | FraudBodyRecomputedFieldEvent>;
}
export interface DeltaStatement {
    task: string;
    round: number;
    base: Uint8Array<ArrayBuffer>;
    delta: Uint8Array<ArrayBuffer>;
    samples: number;
}
export declare namespace DeltaStatement {
    const codec: () => Codec<DeltaStatement>;
    interface DeltaStatementTaskFieldEvent {
        field: '$.task';
        value: string;
    }
    interface DeltaStatementRoundFieldEvent {
        field: '$.round';
        value: number;
    }
    interface DeltaStatementBaseFieldEvent {
        field: '$.base';
        value: Uint8Array<ArrayBuffer>;
    }
    interface DeltaStatementDeltaFieldEvent {
        field: '$.delta';
        value: Uint8Array<ArrayBuffer>;
    }
    interface DeltaStatementSamplesFieldEvent {
        field: '$.samples';
        value: number;
    }
    function encode(obj: Partial<DeltaStatement>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeltaStatement>): DeltaStatement;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeltaStatement>): Generator<DeltaStatementTaskFieldEvent | DeltaStatementRoundFieldEvent | DeltaStatementBaseFieldEvent | DeltaStatementDeltaFieldEvent | DeltaStatementSamplesFieldEvent>;
}
export interface VersionStatement {
    task: string;
    round: number;
    hash: Uint8Array<ArrayBuffer>;
    parent: Uint8Array<ArrayBuffer>;
    bytes: number;
    contributors: Contributor[];
    patch?: Uint8Array<ArrayBuffer>;
    curator: Uint8Array<ArrayBuffer>;
}
export declare namespace VersionStatement {
    const codec: () => Codec<VersionStatement>;
    interface VersionStatementTaskFieldEvent {
        field: '$.task';
        value: string;
    }
    interface VersionStatementRoundFieldEvent {
        field: '$.round';
        value: number;
    }
    interface VersionStatementHashFieldEvent {
        field: '$.hash';
        value: Uint8Array<ArrayBuffer>;
    }
    interface VersionStatementParentFieldEvent {
        field: '$.parent';
        value: Uint8Array<ArrayBuffer>;
    }
    interface VersionStatementBytesFieldEvent {
        field: '$.bytes';
        value: number;
    }
    interface VersionStatementContributorsPeerFieldEvent {
        field: '$.contributors[].peer';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface VersionStatementContributorsDeltaFieldEvent {
        field: '$.contributors[].delta';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface VersionStatementContributorsSamplesFieldEvent {
        field: '$.contributors[].samples';
        value: number;
        index: number;
    }
    interface VersionStatementContributorsSignatureFieldEvent {
        field: '$.contributors[].signature';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface VersionStatementPatchFieldEvent {
        field: '$.patch';
        value: Uint8Array<ArrayBuffer>;
    }
    interface VersionStatementCuratorFieldEvent {
        field: '$.curator';
        value: Uint8Array<ArrayBuffer>;
    }
    function encode(obj: Partial<VersionStatement>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<VersionStatement>): VersionStatement;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<VersionStatement>): Generator<VersionStatementTaskFieldEvent | VersionStatementRoundFieldEvent | VersionStatementHashFieldEvent | VersionStatementParentFieldEvent | VersionStatementBytesFieldEvent | VersionStatementContributorsPeerFieldEvent | VersionStatementContributorsDeltaFieldEvent | VersionStatementContributorsSamplesFieldEvent | VersionStatementContributorsSignatureFieldEvent | VersionStatementPatchFieldEvent | VersionStatementCuratorFieldEvent>;
}
export interface VersionMetrics {
    loss: number;
    accuracy: number;
    samples: number;
}
export declare namespace VersionMetrics {
    const codec: () => Codec<VersionMetrics>;
    interface VersionMetricsLossFieldEvent {
        field: '$.loss';
        value: number;
    }
    interface VersionMetricsAccuracyFieldEvent {
        field: '$.accuracy';
        value: number;
    }
    interface VersionMetricsSamplesFieldEvent {
        field: '$.samples';
        value: number;
    }
    function encode(obj: Partial<VersionMetrics>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<VersionMetrics>): VersionMetrics;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<VersionMetrics>): Generator<VersionMetricsLossFieldEvent | VersionMetricsAccuracyFieldEvent | VersionMetricsSamplesFieldEvent>;
}
export interface PresenceBody {
    round: number;
    head: Uint8Array<ArrayBuffer>;
    age: number;
}
export declare namespace PresenceBody {
    const codec: () => Codec<PresenceBody>;
    interface PresenceBodyRoundFieldEvent {
        field: '$.round';
        value: number;
    }
    interface PresenceBodyHeadFieldEvent {
        field: '$.head';
        value: Uint8Array<ArrayBuffer>;
    }
    interface PresenceBodyAgeFieldEvent {
        field: '$.age';
        value: number;
    }
    function encode(obj: Partial<PresenceBody>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceBody>): PresenceBody;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceBody>): Generator<PresenceBodyRoundFieldEvent | PresenceBodyHeadFieldEvent | PresenceBodyAgeFieldEvent>;
}
