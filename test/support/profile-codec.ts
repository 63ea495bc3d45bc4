// The codec is internal to libs/profiles; the bulk-load test reaches it through this one re-export.
export { ProfileCodec as ProfileCodecForTests } from '../../libs/profiles/src/profile-codec';
