/* Guard for mediasoup's DTLS BIO callback against a kTLS-enabled libssl.
 *
 * mediasoup (src/RTC/DtlsTransport.cpp) installs a BIO_set_callback_ex()
 * callback on the memory BIO that OpenSSL writes DTLS records to. For every
 * operation except the post-call of a plain BIO_CB_RETURN it returns 1, so it
 * also answers 1 to the post-call of BIO_ctrl(BIO_CTRL_GET_KTLS_SEND): the BIO
 * then claims that kernel TLS offload is active. mediasoup's bundled OpenSSL
 * 3.0.8 is built without kTLS (BIO_get_ktls_send() is the constant 0 there),
 * but Debian's libssl3 is built with enable-ktls: ssl3_setup_write_buffer()
 * sees "kTLS send" on the wbio, leaves the record write buffer unallocated,
 * and the first DTLS record the server writes (do_dtls1_write, from SSL_read
 * processing the ClientHello) is stored through a NULL pointer: SIGSEGV.
 *
 * The worker is linked with -Wl,--wrap=BIO_set_callback_ex (see meson.build),
 * so mediasoup's call lands here. We install a trampoline that answers the two
 * kTLS queries transparently (pre-call: proceed; post-call: the BIO's own
 * answer, 0 for a memory BIO) and forwards every other operation, unchanged,
 * to mediasoup's callback. mediasoup's C++ is not modified. */

#include <openssl/bio.h>
#include <pthread.h>
#include <string.h>

void __real_BIO_set_callback_ex(BIO *b, BIO_callback_fn_ex callback);
void __wrap_BIO_set_callback_ex(BIO *b, BIO_callback_fn_ex callback);

_Static_assert(sizeof(BIO_callback_fn_ex) == sizeof(void *), "function pointers must fit in BIO ex data");

static int confero_ex_index = -1;
static pthread_once_t confero_ex_once = PTHREAD_ONCE_INIT;

static void confero_ex_init(void)
{
	confero_ex_index = BIO_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static BIO_callback_fn_ex confero_inner_callback(BIO *b)
{
	BIO_callback_fn_ex fn = NULL;
	void *p = confero_ex_index >= 0 ? BIO_get_ex_data(b, confero_ex_index) : NULL;
	memcpy(&fn, &p, sizeof fn); /* POSIX: object and function pointers share a representation */
	return fn;
}

static long confero_bio_callback(
  BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret, size_t *processed)
{
	if ((oper & ~BIO_CB_RETURN) == BIO_CB_CTRL &&
	    (argi == BIO_CTRL_GET_KTLS_SEND || argi == BIO_CTRL_GET_KTLS_RECV))
		return (oper & BIO_CB_RETURN) ? (long)ret : 1L;

	BIO_callback_fn_ex inner = confero_inner_callback(b);
	if (inner)
		return inner(b, oper, argp, len, argi, argl, ret, processed);
	return (oper & BIO_CB_RETURN) ? (long)ret : 1L;
}

void __wrap_BIO_set_callback_ex(BIO *b, BIO_callback_fn_ex callback)
{
	if (b == NULL)
		return;
	pthread_once(&confero_ex_once, confero_ex_init);
	if (callback == NULL || confero_ex_index < 0)
	{
		/* Nothing to guard (or no ex data slot: keep the caller's callback). */
		if (confero_ex_index >= 0)
			BIO_set_ex_data(b, confero_ex_index, NULL);
		__real_BIO_set_callback_ex(b, callback);
		return;
	}
	void *p;
	memcpy(&p, &callback, sizeof p);
	if (!BIO_set_ex_data(b, confero_ex_index, p))
	{
		__real_BIO_set_callback_ex(b, callback);
		return;
	}
	__real_BIO_set_callback_ex(b, confero_bio_callback);
}
