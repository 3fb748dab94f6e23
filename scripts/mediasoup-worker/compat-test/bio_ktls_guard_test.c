/* Test for subprojects/openssl/bio_ktls_guard.c (built by run.sh with
 * -Wl,--wrap=BIO_set_callback_ex, as the worker is).
 *
 * Reproduces mediasoup's DtlsTransport setup on the installed libssl: a DTLS
 * server whose outgoing memory BIO carries a callback with mediasoup's return
 * convention (1 for everything but a plain BIO_CB_RETURN), fed one flight at a
 * time and driven with SSL_read. With Debian's kTLS-enabled libssl and no
 * guard, that callback makes BIO_get_ktls_send() true, OpenSSL never allocates
 * the record write buffer, and the server's first SSL_read crashes (NULL write
 * in do_dtls1_write). With the guard the handshake completes with use_srtp. */

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond, ...)                                         \
	do                                                           \
	{                                                            \
		if (!(cond))                                             \
		{                                                        \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                        \
			fprintf(stderr, "\n");                               \
			ERR_print_errors_fp(stderr);                         \
			failures++;                                          \
		}                                                        \
	} while (0)

/* What the server "sends to the network" (mediasoup: SendDtlsData). */
static unsigned char outBuf[65536];
static size_t outLen = 0;
static int writeCallbacks = 0;

/* mediasoup's onSslBioOut, same return convention. */
static long mediasoupLikeCallback(
  BIO *bio, int oper, const char *argp, size_t len, int argi, long argl, int ret, size_t *processed)
{
	(void)bio; (void)argi; (void)argl; (void)processed;
	const long result = (oper == BIO_CB_RETURN) ? (long)ret : 1;
	if (oper == BIO_CB_WRITE && argp && len > 0)
	{
		if (outLen + len <= sizeof(outBuf))
		{
			memcpy(outBuf + outLen, argp, len);
			outLen += len;
		}
		writeCallbacks++;
	}
	return result;
}

static int verifyAlways(int ok, X509_STORE_CTX *ctx)
{
	(void)ok; (void)ctx;
	return 1;
}

static SSL_CTX *makeCtx(EVP_PKEY *key, X509 *cert)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
	if (!ctx || SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)
		return NULL;
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET | SSL_OP_SINGLE_ECDH_USE | SSL_OP_NO_QUERY_MTU);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verifyAlways);
	if (SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0)
		return NULL;
	return ctx;
}

/* Moves everything pending in a plain memory BIO into another BIO. */
static void pump(BIO *from, BIO *to)
{
	unsigned char buf[4096];
	int n;
	while ((n = BIO_read(from, buf, sizeof buf)) > 0)
		BIO_write(to, buf, n);
}

int main(void)
{
	/* Self-signed EC certificate, as mediasoup generates. */
	EVP_PKEY *key = EVP_EC_gen("prime256v1");
	X509 *cert = X509_new();
	CHECK(key && cert, "key/cert allocation");
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "O", MBSTRING_ASC, (const unsigned char *)"confero", -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(cert));
	CHECK(X509_sign(cert, key, EVP_sha256()) > 0, "X509_sign");

	SSL_CTX *serverCtx = makeCtx(key, cert);
	SSL_CTX *clientCtx = makeCtx(key, cert);
	CHECK(serverCtx && clientCtx, "SSL_CTX setup");
	if (failures)
		return 1;

	/* Server: mediasoup's DtlsTransport constructor, then Run(SERVER). */
	SSL *server = SSL_new(serverCtx);
	BIO *serverIn = BIO_new(BIO_s_mem());
	BIO *serverOut = BIO_new(BIO_s_mem());
	BIO_set_callback_ex(serverOut, mediasoupLikeCallback);
	BIO_set_callback_arg(serverOut, (char *)server);
	SSL_set_bio(server, serverIn, serverOut);
	SSL_set_mtu(server, 1350);
	DTLS_set_link_mtu(server, 1350);

	/* The guard's whole point: the callback BIO must not claim kTLS. */
	CHECK(BIO_get_ktls_send(serverOut) == 0, "BIO_get_ktls_send() on the callback BIO must be 0");
	CHECK(BIO_get_ktls_recv(serverOut) == 0, "BIO_get_ktls_recv() on the callback BIO must be 0");
	CHECK(BIO_get_callback_arg(serverOut) == (char *)server, "callback arg must be kept");
	/* Other ctrls keep the wrapped callback's answer (mediasoup's: 1). */
	CHECK(BIO_ctrl(serverOut, BIO_CTRL_FLUSH, 0, NULL) == 1, "other ctrls reach the wrapped callback");

	SSL_set_accept_state(server);
	SSL_do_handshake(server);

	/* Client: plain memory BIOs (the browser). */
	SSL *client = SSL_new(clientCtx);
	BIO *clientIn = BIO_new(BIO_s_mem());
	BIO *clientOut = BIO_new(BIO_s_mem());
	SSL_set_bio(client, clientIn, clientOut);
	SSL_set_mtu(client, 1350);
	DTLS_set_link_mtu(client, 1350);
	SSL_set_connect_state(client);

	unsigned char readBuf[65536];
	for (int round = 0; round < 20 && !(SSL_is_init_finished(server) && SSL_is_init_finished(client)); round++)
	{
		SSL_do_handshake(client);
		if (BIO_ctrl_pending(clientOut) == 0)
			continue;
		pump(clientOut, serverIn);
		/* mediasoup's ProcessDtlsData: SSL_read drives the handshake. */
		outLen = 0;
		int r = SSL_read(server, readBuf, sizeof readBuf);
		int err = SSL_get_error(server, r);
		CHECK(r > 0 || err == SSL_ERROR_WANT_READ, "server SSL_read: ret %d, SSL error %d", r, err);
		(void)BIO_reset(serverOut);
		if (outLen)
			BIO_write(clientIn, outBuf, (int)outLen);
	}
	SSL_do_handshake(client);

	CHECK(SSL_is_init_finished(server), "server handshake not finished");
	CHECK(SSL_is_init_finished(client), "client handshake not finished");
	CHECK(writeCallbacks > 0, "the wrapped callback saw no writes");

	const SRTP_PROTECTION_PROFILE *sp = SSL_get_selected_srtp_profile(server);
	const SRTP_PROTECTION_PROFILE *cp = SSL_get_selected_srtp_profile(client);
	CHECK(sp && cp && sp->id == cp->id, "use_srtp profile negotiated on both sides");

	unsigned char sk[60], ck[60];
	CHECK(SSL_export_keying_material(server, sk, sizeof sk, "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) == 1 &&
	        SSL_export_keying_material(client, ck, sizeof ck, "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) == 1 &&
	        memcmp(sk, ck, sizeof sk) == 0,
	      "exported SRTP keying material matches");

	/* Application data both ways (SCTP over DTLS). */
	const char msg[] = "datachannel";
	CHECK(SSL_write(client, msg, sizeof msg) == (int)sizeof msg, "client SSL_write");
	pump(clientOut, serverIn);
	CHECK(SSL_read(server, readBuf, sizeof readBuf) == (int)sizeof msg && memcmp(readBuf, msg, sizeof msg) == 0,
	      "server reads application data");
	outLen = 0;
	CHECK(SSL_write(server, msg, sizeof msg) == (int)sizeof msg, "server SSL_write");
	CHECK(outLen > sizeof msg, "server application data went through the callback");
	(void)BIO_reset(serverOut);
	BIO_write(clientIn, outBuf, (int)outLen);
	CHECK(SSL_read(client, readBuf, sizeof readBuf) == (int)sizeof msg && memcmp(readBuf, msg, sizeof msg) == 0,
	      "client reads application data");

	/* Clearing the callback goes through the wrapper too. */
	BIO_set_callback_ex(serverOut, NULL);
	CHECK(BIO_get_callback_ex(serverOut) == NULL, "callback cleared");

	SSL_free(server);
	SSL_free(client);
	SSL_CTX_free(serverCtx);
	SSL_CTX_free(clientCtx);
	X509_free(cert);
	EVP_PKEY_free(key);

	if (failures)
	{
		fprintf(stderr, "bio_ktls_guard_test: %d failure(s)\n", failures);
		return 1;
	}
	printf("bio_ktls_guard_test: OK (DTLS handshake with a mediasoup-style BIO callback, profile %s)\n", sp->name);
	return 0;
}
