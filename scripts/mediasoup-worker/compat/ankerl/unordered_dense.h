// Stand-in for ankerl::unordered_dense (not packaged in Debian 12).
//
// mediasoup's worker only uses map<K, V[, Hash]>, set<K> and hash<T> with the
// plain std::unordered_map/set API (find, emplace, try_emplace, erase, contains,
// iteration, size), so the containers are aliases onto the standard ones.
// Behavioural difference: iteration order differs from the real library
// (which iterates in insertion order while nothing is erased); nothing in the
// worker relies on either order.
//
// hash<T>: integers, enums and pointers get a 64-bit mixer (libstdc++'s
// std::hash is the identity for them, and mediasoup feeds these values into
// its own hash-combine); every other type uses std::hash<T>.

#ifndef CONFERO_ANKERL_UNORDERED_DENSE_COMPAT_H
#define CONFERO_ANKERL_UNORDERED_DENSE_COMPAT_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

namespace ankerl::unordered_dense
{
	namespace detail
	{
		// splitmix64 finaliser: cheap, and every input bit affects every output bit.
		constexpr uint64_t Mix(uint64_t x) noexcept
		{
			x ^= x >> 30;
			x *= UINT64_C(0xbf58476d1ce4e5b9);
			x ^= x >> 27;
			x *= UINT64_C(0x94d049bb133111eb);
			x ^= x >> 31;
			return x;
		}
	} // namespace detail

	template<typename T, typename Enable = void>
	struct hash : std::hash<T>
	{
	};

	template<typename T>
	struct hash<T, std::enable_if_t<std::is_integral_v<T> || std::is_enum_v<T> || std::is_pointer_v<T>>>
	{
		size_t operator()(const T& value) const noexcept
		{
			uint64_t bits;
			if constexpr (std::is_pointer_v<T>)
				bits = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(value));
			else if constexpr (std::is_enum_v<T>)
				bits = static_cast<uint64_t>(static_cast<std::underlying_type_t<T>>(value));
			else
				bits = static_cast<uint64_t>(value);
			return static_cast<size_t>(detail::Mix(bits));
		}
	};

	template<
	  class Key,
	  class T,
	  class Hash      = hash<Key>,
	  class KeyEqual  = std::equal_to<Key>,
	  class Allocator = std::allocator<std::pair<const Key, T>>>
	using map = std::unordered_map<Key, T, Hash, KeyEqual, Allocator>;

	template<class Key, class Hash = hash<Key>, class KeyEqual = std::equal_to<Key>, class Allocator = std::allocator<Key>>
	using set = std::unordered_set<Key, Hash, KeyEqual, Allocator>;
} // namespace ankerl::unordered_dense

#endif
