// Small vocabularies the generator builds company names, addresses, people and products from. A few entries
// carry the characters real exports are full of: apostrophes, non-ASCII UTF-8, inch marks (a quote in a field).
#pragma once

#include <cstddef>
#include <string_view>

#include "gen/random.h"

namespace ledgerlake::gen::words {

inline constexpr std::string_view kBrands[] = {
    "Acme",      "Beta",    "Gamma",    "Delta",     "Summit",   "Harbour",   "Coastal",  "Redgum",
    "Wattle",    "Banksia", "Bluegum",  "Ironbark",  "Outback",  "Metro",     "Pioneer",  "Anchor",
    "Keystone",  "Northside", "Riverside", "Hilltop", "Greenway", "Silverline", "Bayside", "Sunrise",
    "Southern Cross", "Apex", "Cornerstone", "Precision", "Reliable", "Titan", "Evergreen", "Horizon"};

inline constexpr std::string_view kSurnames[] = {
    "Smith",   "Nguyen", "Williams", "Brown",  "Wilson",  "Taylor", "Jones",    "O'Brien", "Patel",  "Kowalski",
    "Zhang",   "Rossi",  "García",   "Müller", "Kelly",   "Singh",  "Anderson", "Murphy",  "Tran",   "Papadopoulos",
    "Johnson", "Walker", "Nakamura", "Søren",  "Campbell", "Lee",   "Martin",   "White",   "Harris", "Thompson"};

inline constexpr std::string_view kFirstNames[] = {
    "Jo",    "Al",     "Kim",   "Sam",   "Alex",    "Chris", "Jordan", "Taylor", "Priya", "Mei",
    "Liam",  "Olivia", "Noah",  "Ava",   "Jack",    "Chloé", "Lucas",  "Zoë",    "Mohammed", "Aroha",
    "Ethan", "Grace",  "Henry", "Isla",  "Oliver",  "Ruby",  "Wei",    "Anh",    "Siobhan", "Mateo"};

inline constexpr std::string_view kTrades[] = {
    "Plumbing", "Electrical", "Roofing",   "Landscaping", "Trade",     "Supplies", "Builders",
    "Carpentry", "Tiling",    "Painting",  "Fencing",     "Glazing",   "Concreting", "Joinery",
    "Hardware", "Air Conditioning", "Solar", "Drainage",  "Renovations", "Cabinets"};

inline constexpr std::string_view kCompanySuffixes[] = {"Pty Ltd", "Pty Ltd", "Co", "Group", "& Sons",
                                                        "Services", "Holdings", "", "", ""};

inline constexpr std::string_view kStreets[] = {
    "Main",   "High",     "Low",    "George", "King",   "Queen",  "Church", "Station", "Victoria", "Elizabeth",
    "Bridge", "Park",     "Hill",   "Mill",   "Albert", "Chapel", "Swan",   "Collins", "Bourke",   "Railway",
    "Beach",  "Franklin", "Macquarie", "Hunter", "Pitt", "Flinders", "Sturt", "Murray", "Darling", "Wattle Tree"};

inline constexpr std::string_view kStreetTypes[] = {"St", "St", "Rd", "Ave", "Pde", "Cres", "Hwy", "Lane",
                                                    "Ct", "Dr", "Tce", "Pl"};

// "Suburb", "STATE", "postcode" triples.
struct Locality {
  std::string_view suburb, state, postcode;
};
inline constexpr Locality kLocalities[] = {
    {"Richmond", "VIC", "3121"},   {"Fitzroy", "VIC", "3065"},   {"Geelong", "VIC", "3220"},
    {"Parramatta", "NSW", "2150"}, {"Newtown", "NSW", "2042"},   {"Wollongong", "NSW", "2500"},
    {"Fremantle", "WA", "6160"},   {"Subiaco", "WA", "6008"},    {"Glenelg", "SA", "5045"},
    {"Toowong", "QLD", "4066"},    {"Cairns", "QLD", "4870"},    {"Hobart", "TAS", "7000"},
    {"Darwin", "NT", "0800"},      {"Braddon", "ACT", "2612"},   {"Ballarat", "VIC", "3350"},
    {"Bondi", "NSW", "2026"},      {"Manly", "NSW", "2095"},     {"Launceston", "TAS", "7250"}};

inline constexpr std::string_view kMaterials[] = {"Copper", "Brass", "PVC",     "Steel",   "Galvanised",
                                                  "Stainless", "Chrome", "Aluminium", "Timber", "Ceramic"};

inline constexpr std::string_view kProducts[] = {
    "Pipe",   "Tap",    "Elbow",  "Valve",  "Bracket", "Screw Pack", "Hinge",   "Cable",   "Switch",
    "Socket", "Tile",   "Sealant", "Gutter", "Downpipe", "Flange",   "Coupling", "Washer", "Bolt", "Mixer"};

// Sizes; the inch marks put a quote inside the field.
inline constexpr std::string_view kSizes[] = {"15mm", "20mm", "25mm", "32mm", "40mm", "50mm",
                                              "1/2\"", "3/4\"", "1\"", "2.4m", "3m", "6m"};

inline constexpr std::string_view kRanges[] = {"Deluxe", "Pro", "Trade", "Classic", "Eco", "Heritage"};

template <typename T, size_t N>
const T& Pick(Rng& rng, const T (&list)[N]) {
  return list[rng.Below(N)];
}

}  // namespace ledgerlake::gen::words
