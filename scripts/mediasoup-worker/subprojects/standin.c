/* Intentionally empty: the object of the empty static libraries that the
 * stand-in subprojects define because mediasoup's meson.build reads them for
 * link_whole (the real code comes from the Debian shared libraries). */
typedef int confero_standin_translation_unit_is_not_empty;
