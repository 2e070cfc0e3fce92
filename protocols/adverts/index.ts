/** Adverts on the wire: protobuf codec, task topic and validator, gossipsub channel. */
export {
  encodeAdvert,
  decodeAdvert,
  DEFAULT_ADVERT_LIMITS,
  AdvertError,
  AdvertDecodeError,
  AdvertEncodeError,
  type AdvertLimits,
} from './codec.ts';
export {
  advertTopic,
  validateAdvert,
  advertTopicValidator,
  ReplayGuard,
  AdvertTopicError,
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_SKEW_MS,
  type AdvertVerdict,
  type AdvertValidationContext,
  type AdvertValidatorOptions,
  type RejectCode,
  type IgnoreCode,
} from './topic.ts';
export {
  createAdvertChannel,
  AdvertChannelError,
  type AdvertChannel,
  type AdvertChannelOptions,
  type PublishOutcome,
} from './channel.ts';
