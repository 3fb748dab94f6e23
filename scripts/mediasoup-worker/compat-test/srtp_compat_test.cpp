// Standalone test of compat/srtp3/srtp.h (libsrtp v3 API on libsrtp 2.5).
// Uses the header exactly the way mediasoup's SrtpSession does (v3 policy
// handle destroyed right after srtp_create, separate output buffer for
// protect, in-place unprotect) and checks the security-relevant behaviour for
// the four profiles mediasoup offers. Build and run with run.sh.

#include <srtp.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

static int Passed = 0;
static int Failed = 0;

static void Check(bool ok, const std::string& what)
{
	std::printf("%s - %s\n", ok ? "ok" : "FAIL", what.c_str());
	(ok ? Passed : Failed)++;
}

struct Profile
{
	const char* name;
	srtp_profile_t profile;
	size_t keyLen;
	size_t saltLen;
	size_t rtpTag;  // bytes srtp_protect adds
	size_t rtcpTag; // auth tag bytes srtp_protect_rtcp adds after the 4-byte SRTCP index
};

// RFC 3711 / 5764 / 7714: SRTCP keeps the 80-bit tag for the sha1_32 profile.
static const Profile Profiles[] = {
	{ "aes128_cm_sha1_80", srtp_profile_aes128_cm_sha1_80, 16, 14, 10, 10 },
	{ "aes128_cm_sha1_32", srtp_profile_aes128_cm_sha1_32, 16, 14, 4, 10 },
	{ "aead_aes_128_gcm", srtp_profile_aead_aes_128_gcm, 16, 12, 16, 16 },
	{ "aead_aes_256_gcm", srtp_profile_aead_aes_256_gcm, 32, 12, 16, 16 },
};

static constexpr uint32_t Ssrc       = 0x11223344;
static constexpr size_t PayloadLen   = 160;
static constexpr size_t RtcpLen      = 32; // RR with one report block
static constexpr size_t SrtcpIndex   = 4;
static constexpr size_t Canary       = 64;
static constexpr uint8_t CanaryByte  = 0xA5;

// Session created through the v3 API, like mediasoup's SrtpSession constructor.
static srtp_t MakeSession(const Profile& p, srtp_ssrc_type_t type, const std::vector<uint8_t>& keySalt)
{
	srtp_policy_t policy{ nullptr };
	if (srtp_policy_create(&policy) != srtp_err_status_ok)
		return nullptr;
	srtp_ssrc_t ssrc{};
	ssrc.type  = type;
	ssrc.value = 0;
	srtp_err_status_t err = srtp_policy_set_ssrc(policy, ssrc);
	if (!err)
		err = srtp_policy_set_profile(policy, p.profile);
	if (!err)
		err = srtp_policy_add_key(policy, keySalt.data(), p.keyLen, keySalt.data() + p.keyLen, p.saltLen, nullptr, 0);
	if (!err)
		err = srtp_policy_set_allow_repeat_tx(policy, true);
	if (!err)
		err = srtp_policy_set_window_size(policy, 1024);
	srtp_t session{ nullptr };
	if (!err)
		err = srtp_create(&session, policy);
	srtp_policy_destroy(policy); // the session must not depend on the policy any more
	return err ? nullptr : session;
}

static std::vector<uint8_t> KeyMaterial(const Profile& p, uint8_t seed)
{
	std::vector<uint8_t> k(p.keyLen + p.saltLen);
	for (size_t i = 0; i < k.size(); ++i)
		k[i] = static_cast<uint8_t>(seed * 31 + i * 7 + 1);
	return k;
}

static std::vector<uint8_t> RtpPacket(uint16_t seq)
{
	std::vector<uint8_t> pkt(12 + PayloadLen);
	pkt[0] = 0x80;
	pkt[1] = 96;
	pkt[2] = static_cast<uint8_t>(seq >> 8);
	pkt[3] = static_cast<uint8_t>(seq);
	const uint32_t ts = 1000u * seq;
	const uint32_t ss = Ssrc;
	for (int i = 0; i < 4; ++i)
	{
		pkt[4 + i] = static_cast<uint8_t>(ts >> (24 - 8 * i));
		pkt[8 + i] = static_cast<uint8_t>(ss >> (24 - 8 * i));
	}
	for (size_t i = 0; i < PayloadLen; ++i)
		pkt[12 + i] = static_cast<uint8_t>(i ^ seq);
	return pkt;
}

static std::vector<uint8_t> RtcpPacket(uint8_t fill)
{
	std::vector<uint8_t> pkt(RtcpLen);
	pkt[0] = 0x81; // V=2, one report block
	pkt[1] = 201;  // RR
	pkt[2] = 0;
	pkt[3] = RtcpLen / 4 - 1;
	for (int i = 0; i < 4; ++i)
		pkt[4 + i] = static_cast<uint8_t>(Ssrc >> (24 - 8 * i));
	for (size_t i = 8; i < RtcpLen; ++i)
		pkt[i] = static_cast<uint8_t>(fill + i);
	return pkt;
}

using ProtectFn   = srtp_err_status_t (*)(srtp_t, const uint8_t*, size_t, uint8_t*, size_t*, size_t);
using UnprotectFn = srtp_err_status_t (*)(srtp_t, const uint8_t*, size_t, uint8_t*, size_t*);

static srtp_err_status_t Protect(bool rtcp, srtp_t s, const std::vector<uint8_t>& in, std::vector<uint8_t>& out)
{
	const ProtectFn fn = rtcp ? static_cast<ProtectFn>(srtp_protect_rtcp) : static_cast<ProtectFn>(srtp_protect);
	out.assign(2048, 0);
	size_t len = out.size();
	const srtp_err_status_t err = fn(s, in.data(), in.size(), out.data(), &len, 0);
	out.resize(err ? 0 : len);
	return err;
}

// In place, as mediasoup's DecryptSrtp/DecryptSrtcp do.
static srtp_err_status_t Unprotect(bool rtcp, srtp_t s, const std::vector<uint8_t>& in, std::vector<uint8_t>& out)
{
	const UnprotectFn fn =
	  rtcp ? static_cast<UnprotectFn>(srtp_unprotect_rtcp) : static_cast<UnprotectFn>(srtp_unprotect);
	out       = in;
	size_t len = out.size();
	const srtp_err_status_t err = fn(s, out.data(), out.size(), out.data(), &len);
	out.resize(err ? 0 : len);
	return err;
}

static void TestProfile(const Profile& p)
{
	const std::string n = std::string(p.name) + ": ";
	Check(srtp_profile_get_master_key_length(p.profile) == p.keyLen, n + "master key length " + std::to_string(p.keyLen));
	Check(srtp_profile_get_master_salt_length(p.profile) == p.saltLen, n + "master salt length " + std::to_string(p.saltLen));

	const auto keys = KeyMaterial(p, 7);
	srtp_t tx       = MakeSession(p, ssrc_any_outbound, keys);
	srtp_t rx       = MakeSession(p, ssrc_any_inbound, keys);
	auto wrongKeys  = keys;
	wrongKeys[0] ^= 0x01;
	srtp_t rxWrong = MakeSession(p, ssrc_any_inbound, wrongKeys);
	Check(tx && rx && rxWrong, n + "sessions created through the v3 policy API");
	if (!tx || !rx || !rxWrong)
		return;

	for (const bool rtcp : { false, true })
	{
		const std::string k  = n + (rtcp ? "RTCP " : "RTP ");
		const size_t header  = rtcp ? 8 : 12; // left in clear
		const size_t added   = rtcp ? SrtcpIndex + p.rtcpTag : p.rtpTag;
		uint16_t seq         = 100;
		auto next            = [&]() { ++seq; return rtcp ? RtcpPacket(static_cast<uint8_t>(seq)) : RtpPacket(seq); };
		std::vector<uint8_t> prot, plain;

		// Round trip.
		const auto pkt  = next();
		const auto copy = pkt;
		srtp_err_status_t err = Protect(rtcp, tx, pkt, prot);
		Check(err == srtp_err_status_ok, k + "protect ok");
		Check(pkt == copy, k + "protect leaves the input untouched");
		Check(prot.size() == pkt.size() + added, k + "adds " + std::to_string(added) + " bytes (got " + std::to_string(prot.size() - pkt.size()) + ")");
		Check(std::memcmp(prot.data(), pkt.data(), header) == 0, k + "header stays in clear");
		Check(std::memcmp(prot.data() + header, pkt.data() + header, pkt.size() - header) != 0, k + "payload is encrypted");
		if (rtcp)
			Check((prot[pkt.size()] & 0x80) != 0, k + "SRTCP E flag set");
		err = Unprotect(rtcp, rx, prot, plain);
		Check(err == srtp_err_status_ok && plain == pkt, k + "unprotect restores the identical plaintext");

		// Replay of an accepted packet.
		err = Unprotect(rtcp, rx, prot, plain);
		Check(err == srtp_err_status_replay_fail || err == srtp_err_status_replay_old, k + "replayed packet rejected (err " + std::to_string(err) + ")");

		// Tampering: a flipped bit in the payload, then in the tag; the untouched
		// packet must still be accepted afterwards.
		const auto pkt2 = next();
		Protect(rtcp, tx, pkt2, prot);
		for (const size_t pos : { header + 5, prot.size() - 1 })
		{
			auto bad = prot;
			bad[pos] ^= 0x10;
			err = Unprotect(rtcp, rx, bad, plain);
			Check(err == srtp_err_status_auth_fail, k + "flipped bit at " + std::to_string(pos) + " rejected (err " + std::to_string(err) + ")");
		}
		err = Unprotect(rtcp, rx, prot, plain);
		Check(err == srtp_err_status_ok && plain == pkt2, k + "genuine packet still accepted after tampered copies");

		// Wrong key.
		const auto pkt3 = next();
		Protect(rtcp, tx, pkt3, prot);
		err = Unprotect(rtcp, rxWrong, prot, plain);
		Check(err == srtp_err_status_auth_fail, k + "wrong key rejected (err " + std::to_string(err) + ")");

		// Output buffer one byte short (a heap block of exactly that size, so
		// AddressSanitizer also sees any overrun) followed by canary checks.
		const ProtectFn protectFn =
		  rtcp ? static_cast<ProtectFn>(srtp_protect_rtcp) : static_cast<ProtectFn>(srtp_protect);
		const auto pkt4 = next();
		for (const size_t capacity : { pkt4.size() - 1, pkt4.size(), pkt4.size() + added - 1 })
		{
			std::vector<uint8_t> region(capacity + Canary, CanaryByte);
			std::unique_ptr<uint8_t[]> exact(new uint8_t[capacity]);
			size_t len = capacity;
			err = protectFn(tx, pkt4.data(), pkt4.size(), region.data(), &len, 0);
			bool canaryOk = true;
			for (size_t i = capacity; i < region.size(); ++i)
				canaryOk = canaryOk && region[i] == CanaryByte;
			len = capacity;
			const srtp_err_status_t err2 = protectFn(tx, pkt4.data(), pkt4.size(), exact.get(), &len, 0);
			Check(err == srtp_err_status_buffer_small && err2 == srtp_err_status_buffer_small && canaryOk,
			  k + "capacity " + std::to_string(capacity) + " (need " + std::to_string(pkt4.size() + added) + "): buffer_small, nothing written past it");
		}
		// Exactly enough room (the compat's tight-buffer path) still works.
		{
			const size_t capacity = pkt4.size() + added;
			std::unique_ptr<uint8_t[]> exact(new uint8_t[capacity]);
			size_t len = capacity;
			err = protectFn(tx, pkt4.data(), pkt4.size(), exact.get(), &len, 0);
			Check(err == srtp_err_status_ok && len == capacity, k + "exact capacity " + std::to_string(capacity) + " ok");
			prot.assign(exact.get(), exact.get() + (err ? 0 : len));
			err = Unprotect(rtcp, rx, prot, plain);
			Check(err == srtp_err_status_ok && plain == pkt4, k + "packet protected into exact buffer round-trips");
		}

		// Unprotect into a separate buffer that holds the plaintext but not the
		// protected packet; then one that is one byte too small.
		const UnprotectFn unprotectFn =
		  rtcp ? static_cast<UnprotectFn>(srtp_unprotect_rtcp) : static_cast<UnprotectFn>(srtp_unprotect);
		const auto pkt5 = next();
		Protect(rtcp, tx, pkt5, prot);
		{
			std::unique_ptr<uint8_t[]> small(new uint8_t[pkt5.size() - 1]);
			size_t len = pkt5.size() - 1;
			err = unprotectFn(rx, prot.data(), prot.size(), small.get(), &len);
			Check(err == srtp_err_status_buffer_small, k + "unprotect into too small buffer: buffer_small");
			std::unique_ptr<uint8_t[]> exact(new uint8_t[pkt5.size()]);
			len = pkt5.size();
			err = unprotectFn(rx, prot.data(), prot.size(), exact.get(), &len);
			Check(err == srtp_err_status_ok && len == pkt5.size() && std::memcmp(exact.get(), pkt5.data(), len) == 0,
			  k + "unprotect into separate exact-size buffer ok");
		}

		// MKI is not supported by the compat layer.
		size_t len = 2048;
		std::vector<uint8_t> out(len);
		err = protectFn(tx, pkt5.data(), pkt5.size(), out.data(), &len, 1);
		Check(err == srtp_err_status_bad_mki, k + "mki_index 1 rejected");
	}

	// v3 srtp_stream_remove takes host byte order.
	Check(srtp_stream_remove(rx, Ssrc) == srtp_err_status_ok, n + "srtp_stream_remove(host-order SSRC) removes the stream");
	Check(srtp_stream_remove(rx, Ssrc) != srtp_err_status_ok, n + "removing it again fails");

	srtp_dealloc(tx);
	srtp_dealloc(rx);
	srtp_dealloc(rxWrong);
}

// Tight buffers on fresh sessions (only the template stream exists yet): the
// compat layer must size the trailer from the template.
static void TestFreshSessionTightBuffers(const Profile& p)
{
	const std::string n = std::string(p.name) + ": fresh session ";
	const auto keys     = KeyMaterial(p, 11);
	for (const bool rtcp : { false, true })
	{
		const std::string k = n + (rtcp ? "RTCP " : "RTP ");
		srtp_t tx           = MakeSession(p, ssrc_any_outbound, keys);
		srtp_t rx           = MakeSession(p, ssrc_any_inbound, keys);
		const auto pkt      = rtcp ? RtcpPacket(1) : RtpPacket(1);
		const size_t added  = rtcp ? SrtcpIndex + p.rtcpTag : p.rtpTag;
		const ProtectFn protectFn =
		  rtcp ? static_cast<ProtectFn>(srtp_protect_rtcp) : static_cast<ProtectFn>(srtp_protect);
		const UnprotectFn unprotectFn =
		  rtcp ? static_cast<UnprotectFn>(srtp_unprotect_rtcp) : static_cast<UnprotectFn>(srtp_unprotect);

		std::unique_ptr<uint8_t[]> prot(new uint8_t[pkt.size() + added]);
		size_t len = pkt.size() + added - 1;
		srtp_err_status_t err = protectFn(tx, pkt.data(), pkt.size(), prot.get(), &len, 0);
		Check(err == srtp_err_status_buffer_small, k + "first protect one byte short: buffer_small");
		len = pkt.size() + added;
		err = protectFn(tx, pkt.data(), pkt.size(), prot.get(), &len, 0);
		Check(err == srtp_err_status_ok && len == pkt.size() + added, k + "first protect into exact buffer ok");

		std::unique_ptr<uint8_t[]> plain(new uint8_t[pkt.size()]);
		len = pkt.size() - 1;
		err = unprotectFn(rx, prot.get(), pkt.size() + added, plain.get(), &len);
		Check(err == srtp_err_status_buffer_small, k + "first unprotect one byte short: buffer_small");
		len = pkt.size();
		err = unprotectFn(rx, prot.get(), pkt.size() + added, plain.get(), &len);
		Check(err == srtp_err_status_ok && len == pkt.size() && std::memcmp(plain.get(), pkt.data(), len) == 0,
		  k + "then unprotect into exact buffer ok (buffer_small did not consume the packet)");
		srtp_dealloc(tx);
		srtp_dealloc(rx);
	}
}

static int Events = 0;
static srtp_event_data_t LastEvent{};

static void OnEvent(srtp_event_data_t* data)
{
	++Events;
	LastEvent = *data;
}

static void TestPolicyValidation()
{
	const Profile& p = Profiles[0];
	const auto keys  = KeyMaterial(p, 3);
	srtp_policy_t policy{ nullptr };
	srtp_policy_create(&policy);
	srtp_ssrc_t ssrc{};
	ssrc.type = ssrc_any_outbound;
	srtp_policy_set_ssrc(policy, ssrc);
	srtp_policy_set_profile(policy, p.profile);
	srtp_t s{ nullptr };
	Check(srtp_create(&s, policy) == srtp_err_status_bad_param, "policy: srtp_create without a key fails");
	Check(srtp_policy_add_key(policy, keys.data(), 16, keys.data() + 16, 14, keys.data(), 4) == srtp_err_status_bad_param, "policy: key with MKI rejected");
	Check(srtp_policy_add_key(policy, keys.data(), 60, keys.data(), 14, nullptr, 0) == srtp_err_status_bad_param, "policy: key+salt over SRTP_MAX_KEY_LEN rejected");
	Check(srtp_policy_set_window_size(policy, 10) == srtp_err_status_bad_param, "policy: window size 10 rejected");
	Check(srtp_policy_set_profile(policy, srtp_profile_null_sha1_80) == srtp_err_status_bad_param, "policy: unsupported profile rejected");
	Check(srtp_policy_add_key(policy, keys.data(), 16, keys.data() + 16, 12, nullptr, 0) == srtp_err_status_ok, "policy: 16+12 key accepted by add_key");
	Check(srtp_policy_add_key(policy, keys.data(), 16, keys.data() + 16, 14, nullptr, 0) == srtp_err_status_bad_param, "policy: second key without MKI rejected");
	Check(srtp_create(&s, policy) == srtp_err_status_bad_param, "policy: srtp_create rejects salt length not matching the profile");
	srtp_policy_destroy(policy);
	srtp_policy_destroy(nullptr);
}

static void TestEventHandler()
{
	Check(srtp_install_event_handler(OnEvent) == srtp_err_status_ok, "event: handler installed");
	// A stream that received a packet and is then used to send triggers an
	// SSRC collision event in libsrtp.
	const Profile& p = Profiles[0];
	const auto keys  = KeyMaterial(p, 9);
	srtp_t tx        = MakeSession(p, ssrc_any_outbound, keys);
	srtp_t rx        = MakeSession(p, ssrc_any_inbound, keys);
	std::vector<uint8_t> prot, plain, out;
	Protect(false, tx, RtpPacket(1), prot);
	Unprotect(false, rx, prot, plain);
	Protect(false, rx, RtpPacket(2), out);
	Check(Events == 1 && LastEvent.event == event_ssrc_collision && LastEvent.session == rx && LastEvent.ssrc == Ssrc,
	  "event: ssrc collision delivered with session and host-order SSRC");
	srtp_install_event_handler(nullptr);
	srtp_dealloc(tx);
	srtp_dealloc(rx);
}

int main()
{
	std::printf("libsrtp %s\n", srtp_get_version_string());
	Check(srtp_init() == srtp_err_status_ok, "srtp_init");
	Check(srtp_err_status_buffer_small == 28 && srtp_err_status_cryptex_err == 29, "v3-only error codes are 28 and 29");

	for (const auto& p : Profiles)
	{
		TestProfile(p);
		TestFreshSessionTightBuffers(p);
	}
	TestPolicyValidation();
	TestEventHandler();

	srtp_shutdown();
	std::printf("%d passed, %d failed\n", Passed, Failed);
	return Failed == 0 ? 0 : 1;
}
