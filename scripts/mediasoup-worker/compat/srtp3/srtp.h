// libsrtp v3 API subset on top of Debian's libsrtp 2.5 (libsrtp2-dev).
//
// mediasoup >= 3.15 bundles a libsrtp 3 fork; Debian only ships libsrtp 2.x.
// This header exposes exactly the v3 API that mediasoup's worker uses
// (src/RTC/SrtpSession.cpp, src/DepLibSRTP.cpp) and maps it onto the v2
// library. It is C++ only: the v3 entry points that share a name with a v2
// function (srtp_create, srtp_protect, ...) are C++ overloads of the extern "C"
// v2 functions, which is legal because only one of them has C linkage.
//
// Differences between the two APIs that this file bridges:
//   - v3 srtp_policy_t is an opaque handle built with setter functions; v2's is
//     a plain struct (renamed here to confero_srtp2_policy_t while including).
//   - v3 protect/unprotect take separate input and output buffers, size_t
//     lengths and an output capacity, and fail with srtp_err_status_buffer_small
//     when the output does not fit; v2 works in place on an int length and
//     assumes it may write up to SRTP_MAX_TRAILER_LEN (+4 for RTCP) bytes past
//     the end of the packet.
//   - v3 adds two error codes (buffer_small = 28, cryptex_err = 29).
//   - v3 srtp_stream_remove takes the SSRC in host byte order; v2's
//     srtp_remove_stream takes it in network byte order.
// MKI is not supported (mediasoup never enables it): adding a key with an MKI
// fails with bad_param and a non-zero mki_index fails with bad_mki.

#ifndef CONFERO_SRTP3_COMPAT_H
#define CONFERO_SRTP3_COMPAT_H

#ifndef __cplusplus
#error "this libsrtp v3 compatibility header is C++ only"
#endif

#include <arpa/inet.h> // htonl
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

// v2 names its policy struct srtp_policy_t, the name v3 uses for the handle.
#define srtp_policy_t confero_srtp2_policy_t
#include <srtp2/srtp.h>
#undef srtp_policy_t

// Error codes that exist only in v3. srtp_err_status_t has no fixed underlying
// type; its v2 values span 0..27, so 28 and 29 are within its value range.
static_assert(srtp_err_status_pkt_idx_adv == 27, "unexpected libsrtp2 error code layout");
inline constexpr srtp_err_status_t srtp_err_status_buffer_small = static_cast<srtp_err_status_t>(28);
inline constexpr srtp_err_status_t srtp_err_status_cryptex_err  = static_cast<srtp_err_status_t>(29);

// Opaque v3 policy handle.
struct confero_srtp3_policy
{
	confero_srtp2_policy_t v2{};                     // ssrc, rtp/rtcp crypto, window, repeat_tx
	srtp_profile_t profile{ srtp_profile_reserved }; // reserved = not set yet
	bool hasKey{ false };
	size_t keyLen{ 0 };
	size_t saltLen{ 0 };
	unsigned char key[SRTP_MAX_KEY_LEN]{}; // master key || master salt, the layout v2 expects
};
typedef confero_srtp3_policy* srtp_policy_t;

namespace confero_srtp3
{
	// Worst case v2 may write past the packet end: tag + MKI, plus the 4-byte
	// SRTCP index for RTCP (v2 srtp.h documents SRTP_MAX_TRAILER_LEN + 4).
	inline constexpr size_t MaxV2Overhead = SRTP_MAX_TRAILER_LEN + 4;

	// Zeroing that the compiler may not drop as a dead store.
	inline void Wipe(void* p, size_t n)
	{
		volatile unsigned char* v = static_cast<volatile unsigned char*>(p);
		while (n--)
		{
			*v++ = 0;
		}
	}

	inline bool SupportedProfile(srtp_profile_t profile)
	{
		return profile == srtp_profile_aes128_cm_sha1_80 || profile == srtp_profile_aes128_cm_sha1_32 ||
		       profile == srtp_profile_aead_aes_128_gcm || profile == srtp_profile_aead_aes_256_gcm;
	}

	inline srtp_err_status_t V2Protect(srtp_t ctx, void* buf, int* len, bool rtcp)
	{
		return rtcp ? ::srtp_protect_rtcp(ctx, buf, len) : ::srtp_protect(ctx, buf, len);
	}

	inline srtp_err_status_t V2Unprotect(srtp_t ctx, void* buf, int* len, bool rtcp)
	{
		return rtcp ? ::srtp_unprotect_rtcp(ctx, buf, len) : ::srtp_unprotect(ctx, buf, len);
	}

	inline srtp_err_status_t Protect(
	  srtp_t ctx, const uint8_t* in, size_t inLen, uint8_t* out, size_t* outLen, size_t mkiIndex, bool rtcp)
	{
		if (!ctx || !in || !out || !outLen)
			return srtp_err_status_bad_param;
		if (mkiIndex != 0)
			return srtp_err_status_bad_mki;
		// v2 counts in int and adds up to MaxV2Overhead bytes.
		if (inLen > static_cast<size_t>(INT_MAX) - MaxV2Overhead)
			return srtp_err_status_bad_param;

		const size_t capacity = *outLen;
		int len               = static_cast<int>(inLen);
		srtp_err_status_t err;

		if (capacity >= inLen && capacity - inLen >= MaxV2Overhead)
		{
			// Fast path (always taken by mediasoup, whose buffer is 64 KiB): v2's
			// worst-case trailer fits, so protect directly in the output buffer.
			if (out != in)
				std::memmove(out, in, inLen);
			err = V2Protect(ctx, out, &len, rtcp);
		}
		else
		{
			// Tight output buffer: check the exact trailer this session adds first,
			// so a too-small buffer fails without consuming a sequence/SRTCP index.
			uint32_t trailer = 0;
			err = rtcp ? ::srtp_get_protect_rtcp_trailer_length(ctx, 0, 0, &trailer)
			           : ::srtp_get_protect_trailer_length(ctx, 0, 0, &trailer);
			if (err != srtp_err_status_ok)
				return err;
			if (capacity < inLen || capacity - inLen < trailer)
				return srtp_err_status_buffer_small;

			// Run v2 in a scratch buffer with full slack so that it can never write
			// past the caller's buffer, then copy the result out.
			const size_t scratchLen = inLen + MaxV2Overhead;
			std::unique_ptr<uint8_t[]> scratch(new (std::nothrow) uint8_t[scratchLen]);
			if (!scratch)
				return srtp_err_status_alloc_fail;
			std::memcpy(scratch.get(), in, inLen);
			err = V2Protect(ctx, scratch.get(), &len, rtcp);
			if (err == srtp_err_status_ok && (len < 0 || static_cast<size_t>(len) > capacity))
				err = srtp_err_status_buffer_small;
			if (err == srtp_err_status_ok)
				std::memcpy(out, scratch.get(), static_cast<size_t>(len));
			Wipe(scratch.get(), scratchLen);
		}

		if (err != srtp_err_status_ok)
			return err;
		if (len < 0 || static_cast<size_t>(len) > capacity)
			return srtp_err_status_fail; // cannot happen: v2 stayed within MaxV2Overhead
		*outLen = static_cast<size_t>(len);

		return srtp_err_status_ok;
	}

	inline srtp_err_status_t Unprotect(
	  srtp_t ctx, const uint8_t* in, size_t inLen, uint8_t* out, size_t* outLen, bool rtcp)
	{
		if (!ctx || !in || !out || !outLen)
			return srtp_err_status_bad_param;
		if (inLen > static_cast<size_t>(INT_MAX))
			return srtp_err_status_bad_param;

		const size_t capacity = *outLen;
		int len               = static_cast<int>(inLen);
		srtp_err_status_t err;

		if (capacity >= inLen)
		{
			// v2 only shrinks the packet: unprotect in the output buffer (in place
			// when out == in, which is how mediasoup calls it).
			if (out != in)
				std::memmove(out, in, inLen);
			err = V2Unprotect(ctx, out, &len, rtcp);
			// Do not leave unauthenticated bytes in a separate output buffer.
			if (err != srtp_err_status_ok && out != in)
				Wipe(out, inLen);
		}
		else
		{
			// The output may still hold the (shorter) plaintext. Reject up front,
			// before v2 updates its replay window, when it cannot: the plaintext is
			// the packet minus the trailer (the session-wide maximum, which is
			// exact when all streams share one policy, as in mediasoup).
			uint32_t trailer = 0;
			err = rtcp ? ::srtp_get_protect_rtcp_trailer_length(ctx, 0, 0, &trailer)
			           : ::srtp_get_protect_trailer_length(ctx, 0, 0, &trailer);
			if (err != srtp_err_status_ok)
				return err;
			if (inLen >= trailer && capacity < inLen - trailer)
				return srtp_err_status_buffer_small;

			// Otherwise unprotect in scratch space and copy the result out.
			std::unique_ptr<uint8_t[]> scratch(new (std::nothrow) uint8_t[inLen ? inLen : 1]);
			if (!scratch)
				return srtp_err_status_alloc_fail;
			std::memcpy(scratch.get(), in, inLen);
			err = V2Unprotect(ctx, scratch.get(), &len, rtcp);
			if (err == srtp_err_status_ok && (len < 0 || static_cast<size_t>(len) > capacity))
				err = srtp_err_status_buffer_small;
			if (err == srtp_err_status_ok)
				std::memcpy(out, scratch.get(), static_cast<size_t>(len));
			Wipe(scratch.get(), inLen);
		}

		if (err != srtp_err_status_ok)
			return err;
		if (len < 0 || static_cast<size_t>(len) > capacity)
			return srtp_err_status_fail; // cannot happen: v2 never grows on unprotect
		*outLen = static_cast<size_t>(len);

		return srtp_err_status_ok;
	}
} // namespace confero_srtp3

/* Policy handle. */

inline srtp_err_status_t srtp_policy_create(srtp_policy_t* policy)
{
	if (!policy)
		return srtp_err_status_bad_param;
	*policy = new (std::nothrow) confero_srtp3_policy();
	if (!*policy)
		return srtp_err_status_alloc_fail;
	(*policy)->v2.ssrc.type = ssrc_undefined;

	return srtp_err_status_ok;
}

inline void srtp_policy_destroy(srtp_policy_t policy)
{
	if (!policy)
		return;
	confero_srtp3::Wipe(policy->key, sizeof(policy->key));
	delete policy;
}

inline srtp_err_status_t srtp_policy_set_ssrc(srtp_policy_t policy, srtp_ssrc_t ssrc)
{
	if (!policy)
		return srtp_err_status_bad_param;
	if (ssrc.type != ssrc_specific && ssrc.type != ssrc_any_inbound && ssrc.type != ssrc_any_outbound)
		return srtp_err_status_bad_param;
	policy->v2.ssrc = ssrc; // value in host order in both v2 and v3

	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_policy_set_profile(srtp_policy_t policy, srtp_profile_t profile)
{
	if (!policy || !confero_srtp3::SupportedProfile(profile))
		return srtp_err_status_bad_param;

	// v2 maps the profile to RTP and RTCP crypto policies (for sha1_32 the RTCP
	// tag stays 80 bits, as RFC 5764 requires).
	srtp_err_status_t err = srtp_crypto_policy_set_from_profile_for_rtp(&policy->v2.rtp, profile);
	if (err != srtp_err_status_ok)
		return err;
	err = srtp_crypto_policy_set_from_profile_for_rtcp(&policy->v2.rtcp, profile);
	if (err != srtp_err_status_ok)
		return err;
	policy->profile = profile;

	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_policy_add_key(
  srtp_policy_t policy,
  const uint8_t* key,
  size_t key_len,
  const uint8_t* salt,
  size_t salt_len,
  const uint8_t* mki,
  size_t mki_len)
{
	(void)mki; // a non-NULL mki with mki_len 0 is accepted, as in v3
	if (!policy || !key || !salt)
		return srtp_err_status_bad_param;
	if (mki_len != 0 || policy->hasKey) // no MKI: exactly one key
		return srtp_err_status_bad_param;
	constexpr size_t MaxKeyLen = SRTP_MAX_KEY_LEN;
	if (key_len > MaxKeyLen || salt_len > MaxKeyLen - key_len)
		return srtp_err_status_bad_param;

	std::memcpy(policy->key, key, key_len);
	std::memcpy(policy->key + key_len, salt, salt_len);
	policy->keyLen  = key_len;
	policy->saltLen = salt_len;
	policy->hasKey  = true;

	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_policy_set_allow_repeat_tx(srtp_policy_t policy, bool allow)
{
	if (!policy)
		return srtp_err_status_bad_param;
	policy->v2.allow_repeat_tx = allow ? 1 : 0;

	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_policy_set_window_size(srtp_policy_t policy, size_t window_size)
{
	if (!policy)
		return srtp_err_status_bad_param;
	// 0 selects the default (128); otherwise the range v2 and v3 both accept.
	if (window_size != 0 && (window_size < 64 || window_size > 0x7fff))
		return srtp_err_status_bad_param;
	policy->v2.window_size = window_size;

	return srtp_err_status_ok;
}

/* Session. */

inline srtp_err_status_t srtp_create(srtp_t* session, srtp_policy_t policy)
{
	if (!session)
		return srtp_err_status_bad_param;
	if (!policy) // v3: an empty session, streams added later
		return ::srtp_create(session, static_cast<const confero_srtp2_policy_t*>(nullptr));

	// Validate here what v2 would otherwise read blindly: v2 takes as many key
	// bytes as the cipher needs from policy->key.
	if (policy->profile == srtp_profile_reserved || policy->v2.ssrc.type == ssrc_undefined)
		return srtp_err_status_bad_param;
	if (!policy->hasKey || policy->keyLen != srtp_profile_get_master_key_length(policy->profile) ||
	    policy->saltLen != srtp_profile_get_master_salt_length(policy->profile))
		return srtp_err_status_bad_param;

	// v2 derives the session keys inside srtp_create and keeps no pointer to
	// the master key, so the handle may be destroyed right after this call.
	confero_srtp2_policy_t v2 = policy->v2;
	v2.key                    = policy->key;
	v2.keys                   = nullptr;
	v2.num_master_keys        = 0;
	v2.next                   = nullptr;

	return ::srtp_create(session, &v2);
}

inline srtp_err_status_t srtp_stream_remove(srtp_t session, uint32_t ssrc)
{
	// v3 takes host byte order, v2 network byte order.
	return ::srtp_remove_stream(session, htonl(ssrc));
}

/* Packet processing: v3 signatures (separate buffers, size_t lengths). */

inline srtp_err_status_t srtp_protect(
  srtp_t ctx, const uint8_t* rtp, size_t rtp_len, uint8_t* srtp, size_t* srtp_len, size_t mki_index)
{
	return confero_srtp3::Protect(ctx, rtp, rtp_len, srtp, srtp_len, mki_index, false);
}

inline srtp_err_status_t srtp_unprotect(
  srtp_t ctx, const uint8_t* srtp, size_t srtp_len, uint8_t* rtp, size_t* rtp_len)
{
	return confero_srtp3::Unprotect(ctx, srtp, srtp_len, rtp, rtp_len, false);
}

inline srtp_err_status_t srtp_protect_rtcp(
  srtp_t ctx, const uint8_t* rtcp, size_t rtcp_len, uint8_t* srtcp, size_t* srtcp_len, size_t mki_index)
{
	return confero_srtp3::Protect(ctx, rtcp, rtcp_len, srtcp, srtcp_len, mki_index, true);
}

inline srtp_err_status_t srtp_unprotect_rtcp(
  srtp_t ctx, const uint8_t* srtcp, size_t srtcp_len, uint8_t* rtcp, size_t* rtcp_len)
{
	return confero_srtp3::Unprotect(ctx, srtcp, srtcp_len, rtcp, rtcp_len, true);
}

// Unchanged from v2 and used as is: srtp_init, srtp_shutdown, srtp_dealloc,
// srtp_get_version_string, srtp_install_event_handler (same srtp_event_data_t
// and event_* values), srtp_profile_get_master_key_length/_salt_length
// (unsigned int in v2, size_t in v3), SRTP_MAX_TRAILER_LEN (144 in both).

#endif
