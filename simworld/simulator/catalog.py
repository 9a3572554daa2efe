"""Reference tables of the synthetic world: goods, routes, airports and names.

Values are orders of magnitude chosen to look like Korean traffic (RISK_PATTERNS.md, the KCS
declaration set); nothing here is a contract code list (those come from ``core.contracts``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

# --- express / e-commerce goods ---------------------------------------------------------------------
# hs6, description, group, typical unit value (USD), typical unit weight (kg)
EXPRESS_ITEMS = pd.DataFrame(
    [
        ("610910", "cotton t-shirt", "apparel", 15, 0.20),
        ("620462", "womens trousers", "apparel", 30, 0.45),
        ("611030", "knit sweater", "apparel", 28, 0.50),
        ("640411", "sports sneakers", "shoes", 60, 1.00),
        ("640299", "rubber sandals", "shoes", 22, 0.60),
        ("420221", "leather handbag", "bags", 80, 0.80),
        ("420222", "canvas tote bag", "bags", 20, 0.30),
        ("330499", "skin care cream", "cosmetics", 25, 0.30),
        ("330590", "hair treatment lotion", "cosmetics", 18, 0.40),
        ("210690", "dietary supplement capsules", "supplements", 35, 0.30),
        ("190590", "biscuits and snacks", "food", 12, 0.50),
        ("210111", "instant coffee packs", "food", 15, 0.40),
        ("170490", "candy", "food", 8, 0.30),
        ("030749", "dried squid", "food", 20, 0.30),
        ("081340", "dried durian", "food", 12, 0.40),
        ("950300", "plush toy", "toys", 20, 0.40),
        ("950490", "board game", "toys", 30, 1.00),
        ("960810", "marker pens", "toys", 10, 0.20),
        ("851830", "wireless headphones", "electronics", 180, 0.35),
        ("950450", "vr headset", "electronics", 350, 0.80),
        ("851762", "smart watch", "electronics", 120, 0.20),
        ("850760", "power bank", "electronics", 30, 0.40),
        ("392690", "phone case", "accessories", 8, 0.10),
        ("711719", "imitation jewellery", "accessories", 10, 0.10),
        ("490199", "printed books", "books", 20, 0.60),
        ("300490", "medicine tablets", "medicine", 30, 0.20),
    ],
    columns=["hs6", "description", "group", "unit_usd", "unit_kg"],
)
EXPRESS_GROUPS = ("apparel", "shoes", "bags", "cosmetics", "supplements", "food", "toys", "electronics",
                  "accessories", "books", "medicine")
# Share of sellers selling mainly each group, by seller home: CN, US, other.
EXPRESS_GROUP_MIX = {
    "CN": (0.26, 0.12, 0.10, 0.06, 0.02, 0.05, 0.10, 0.14, 0.12, 0.01, 0.02),
    "US": (0.12, 0.08, 0.04, 0.12, 0.34, 0.10, 0.04, 0.08, 0.03, 0.03, 0.02),
    "other": (0.18, 0.08, 0.06, 0.22, 0.10, 0.14, 0.06, 0.06, 0.04, 0.04, 0.02),
}
DRUG_CONCEALMENT_HS = ("190590", "210111", "170490", "030749", "081340", "330499", "210690", "950300",
                       "950490", "960810")
UNDERVALUED_ELECTRONICS_HS = ("851830", "950450", "851762")
COUNTERFEIT_HS = ("420221", "640411", "640299")
FOOD_CHAPTERS = ("03", "08", "17", "19", "21")

# Express seller homes (origin countries) and their share of sellers.
EXPRESS_SELLER_COUNTRIES = {"CN": 0.50, "US": 0.20, "JP": 0.08, "HK": 0.03, "DE": 0.03, "GB": 0.02, "FR": 0.02,
                            "VN": 0.02, "TH": 0.02, "AU": 0.015, "IT": 0.015, "MY": 0.01, "NL": 0.01,
                            "MX": 0.005, "LA": 0.005, "TW": 0.015}
# Drug parcels by origin (RISK_PATTERNS section 1: 2023-2024 origins by weight and cases).
DRUG_ORIGINS = {"TH": 0.25, "US": 0.22, "MX": 0.10, "MY": 0.08, "DE": 0.10, "VN": 0.08, "NL": 0.10, "LA": 0.07}
PLATFORMS = {
    "CN": ("ALIEXPRESS", "TAOBAO", "TEMU"),
    "US": ("AMAZON", "IHERB", "EBAY"),
    "JP": ("RAKUTEN", "AMAZON_JP"),
    "other": ("EBAY", "SHOPIFY", "DIRECT"),
}
COUNTERFEIT_PLATFORM = "TAOBAO"       # 76 % of Incheon sea-express fakes came via Taobao (RISK_PATTERNS section 2)
RULE_PLATFORM = "ALIEXPRESS"          # the historic rule watches values just under the threshold on one platform
COURIERS = ("DHL", "FEDEX", "UPS", "EMS", "CJ", "HANJIN", "LOTTE", "CAINIAO")
REGIONS = ("SEOUL", "GYEONGGI", "INCHEON", "BUSAN", "DAEGU", "GWANGJU", "DAEJEON", "ULSAN", "SEJONG",
           "GANGWON", "CHUNGBUK", "CHUNGNAM", "JEONBUK", "JEONNAM", "GYEONGBUK", "GYEONGNAM", "JEJU")
REGION_WEIGHTS = (0.19, 0.27, 0.06, 0.06, 0.045, 0.03, 0.03, 0.02, 0.008, 0.03, 0.03, 0.04, 0.035, 0.035,
                  0.05, 0.065, 0.012)

# --- general cargo -------------------------------------------------------------------------------------
# hs6, basic duty rate %, median unit price KRW/kg, median net mass kg, weight in traffic
CARGO_GOODS = pd.DataFrame(
    [
        ("847130", 0.0, 90_000, 300, 5), ("851712", 0.0, 400_000, 150, 4), ("854231", 0.0, 2_000_000, 20, 4),
        ("870899", 8.0, 12_000, 2_000, 5), ("840999", 8.0, 15_000, 800, 3), ("848180", 8.0, 25_000, 500, 4),
        ("730890", 8.0, 2_500, 8_000, 3), ("721049", 0.0, 1_200, 40_000, 3), ("390120", 6.5, 1_800, 20_000, 3),
        ("290531", 5.5, 1_500, 15_000, 2), ("300490", 8.0, 150_000, 200, 3), ("330499", 6.5, 40_000, 500, 4),
        ("610910", 13.0, 18_000, 1_500, 4), ("620342", 13.0, 25_000, 1_200, 4), ("640399", 13.0, 40_000, 800, 3),
        ("420221", 8.0, 60_000, 300, 2), ("940350", 0.0, 5_000, 3_000, 4), ("940161", 8.0, 8_000, 2_000, 3),
        ("690722", 8.0, 700, 12_000, 2), ("440890", 5.0, 1_500, 10_000, 1), ("950300", 0.0, 12_000, 1_000, 3),
        ("030617", 20.0, 15_000, 5_000, 2), ("020230", 40.0, 8_000, 20_000, 2), ("080450", 30.0, 3_000, 10_000, 1),
        ("220421", 15.0, 12_000, 3_000, 2), ("190590", 8.0, 6_000, 3_000, 2), ("210390", 45.0, 5_000, 4_000, 2),
        ("200599", 31.5, 4_500, 5_000, 2), ("200811", 63.9, 5_500, 5_000, 1), ("310100", 8.0, 800, 20_000, 1),
        ("071339", 487.0, 1_500, 20_000, 0.3), ("090421", 270.0, 3_000, 8_000, 0.3),
        ("120242", 230.5, 2_000, 15_000, 0.3), ("071331", 607.0, 1_300, 20_000, 0.2),
        ("100630", 5.0, 1_100, 25_000, 0.5), ("070320", 360.0, 1_000, 20_000, 0.5),
    ],
    columns=["hs6", "rate", "krw_per_kg", "mass_kg", "weight"],
)
# HS misclassification to cut the duty (RISK_PATTERNS section 4): true goods -> declared code.
MISCLASSIFICATION = (("071339", "200599"),   # black beans 487 % as roasted beans 31.5 %
                     ("090421", "210390"),   # chili powder 270 % as seasoning 45 %
                     ("120242", "200811"),   # raw peanuts 230.5 % as roasted 63.9 %
                     ("071331", "310100"))   # mung beans 607 % as fertiliser 8 %
AGRI_CHAPTERS = ("03", "07", "08", "09", "10", "12", "20", "21")

CARGO_ORIGINS = {"CN": 0.51, "JP": 0.10, "US": 0.083, "KR": 0.035, "DE": 0.04, "VN": 0.035, "IT": 0.033,
                 "FR": 0.014, "TW": 0.014, "GB": 0.01, "TH": 0.01, "MY": 0.008, "IN": 0.01, "ID": 0.008,
                 "AU": 0.01, "BE": 0.006, "NL": 0.008, "CH": 0.006, "ES": 0.006, "CA": 0.006, "SG": 0.008}
# FTA tariff types by origin (KCS tax types: A basic, C concession, F.. FTA; RISK_PATTERNS section 4).
FTA_TYPE = {"CN": "FCN1", "US": "FUS1", "VN": "FVN1", "DE": "FEU1", "IT": "FEU1", "FR": "FEU1", "BE": "FEU1",
            "NL": "FEU1", "ES": "FEU1", "GB": "FGB1", "TH": "FAS1", "MY": "FAS1", "ID": "FAS1", "SG": "FAS1",
            "AU": "FAU1", "CA": "FCA1", "IN": "FIN1", "CH": "FEF1"}
FTA_USE = 0.45                          # share of FTA-eligible lines declared under the FTA
CARGO_RISKY_ORIGINS = ("CN", "VN", "TH", "IN")
ORIGIN_INDICATORS = {"E": 0.284, "G": 0.227, "Y": 0.216, "B": 0.146, "S": 0.1266, "N": 0.0004}
ORIGIN_FRAUD_INDICATORS = {"N": 0.40, "S": 0.30, "B": 0.15, "E": 0.15}
# KCS declaration codes (frequencies from the KCS synthetic set).
IMPORT_TYPES = {"11": 0.865, "87": 0.041, "94": 0.032, "15": 0.017, "89": 0.014, "29": 0.007, "88": 0.004,
                "83": 0.004, "84": 0.003, "93": 0.002, "22": 0.002, "86": 0.009}
IMPORT_USES = {"21": 0.913, "11": 0.046, "26": 0.021, "23": 0.007, "28": 0.005, "13": 0.008}
PAYMENT_TYPES = {"11": 0.675, "43": 0.185, "18": 0.067, "14": 0.06, "13": 0.005, "0": 0.008}
TRANSPORT_MODES = {"10": 0.567, "40": 0.412, "50": 0.016, "30": 0.005}
PROCESS_TYPES = {"B": 0.998, "D": 0.0015, "A": 0.0005}
CARGO_COURIERS = ("MWIDNS", "W6UCD9", "VZIZJJ", "EIZP3I", "A5IT1U")
CARGO_COURIER_SHARE = 0.18
OFFICE_WEIGHTS = {"40": 13909, "20": 11410, "30": 5889, "16": 1895, "13": 956, "10": 637, "33": 605,
                  "39": 319, "62": 284, "80": 197, "21": 133, "12": 115}

# --- travellers -----------------------------------------------------------------------------------------
# airport, country, share of journeys starting there
AIRPORTS = pd.DataFrame(
    [
        ("NRT", "JP", 0.08), ("KIX", "JP", 0.07), ("FUK", "JP", 0.04), ("HND", "JP", 0.04),
        ("PVG", "CN", 0.06), ("PEK", "CN", 0.04), ("TAO", "CN", 0.02), ("TPE", "TW", 0.05), ("HKG", "HK", 0.04),
        ("BKK", "TH", 0.06), ("SGN", "VN", 0.04), ("HAN", "VN", 0.04), ("DAD", "VN", 0.05), ("MNL", "PH", 0.04),
        ("CEB", "PH", 0.03), ("SIN", "SG", 0.03), ("KUL", "MY", 0.02), ("VTE", "LA", 0.005),
        ("LAX", "US", 0.025), ("JFK", "US", 0.015), ("SFO", "US", 0.012), ("FRA", "DE", 0.012),
        ("CDG", "FR", 0.01), ("LHR", "GB", 0.01), ("AMS", "NL", 0.006), ("DXB", "AE", 0.01),
        ("SYD", "AU", 0.01), ("YVR", "CA", 0.008), ("MEX", "MX", 0.003), ("GUM", "US", 0.015),
    ],
    columns=["airport", "country", "share"],
)
# Drug source airports (RISK_PATTERNS section 1 origins; section 3 "flight from or through a source country").
SOURCE_AIRPORTS = ("BKK", "LAX", "FRA", "MEX", "KUL", "HAN", "VTE", "AMS")
SOURCE_COUNTRIES = ("TH", "US", "DE", "MX", "MY", "VN", "LA", "NL")
NO_DIRECT = {"MEX": ("LAX", "SFO", "YVR")}   # journeys that need a connection before Korea
TRANSIT_HUBS = ("NRT", "PVG", "HKG", "TPE", "BKK", "SIN", "DXB", "AMS", "FRA")
AIRLINES = {"JP": ("KE", "OZ", "JL", "NH", "7C", "LJ"), "CN": ("KE", "OZ", "MU", "CA"), "TW": ("KE", "CI", "BR"),
            "HK": ("KE", "CX"), "TH": ("KE", "OZ", "TG", "7C"), "VN": ("KE", "VN", "VJ", "7C"), "PH": ("KE", "PR", "5J"),
            "SG": ("KE", "SQ"), "MY": ("KE", "MH"), "LA": ("QV", "TW"), "US": ("KE", "OZ", "DL", "UA"),
            "DE": ("KE", "LH"), "FR": ("KE", "AF"), "GB": ("KE", "BA"), "NL": ("KE", "KL"), "AE": ("EK",),
            "AU": ("KE", "QF"), "CA": ("KE", "AC"), "MX": ("AM",)}
# Traveller offices are taken from core.contracts.OFFICES["traveller"] by position: the first two are
# the Incheon terminals, the rest regional airports, each served from the countries listed here in order
# (Gimpo, Busan/Gimhae, Jeju).
REGIONAL_ROUTES = (("JP", "CN", "TW"), ("JP", "CN", "TH", "VN", "PH", "TW"), ("CN", "JP", "TW"))
TERMINAL_2_AIRLINES = ("KE", "DL", "AF", "KL")
NATIONALITIES = {"KR": 0.55, "CN": 0.09, "JP": 0.07, "US": 0.05, "TW": 0.03, "VN": 0.03, "TH": 0.03, "PH": 0.02,
                 "HK": 0.01, "SG": 0.01, "MY": 0.01, "DE": 0.01, "FR": 0.01, "GB": 0.01, "AU": 0.01, "CA": 0.01,
                 "MX": 0.005, "LA": 0.005, "NL": 0.005, "RU": 0.02, "MN": 0.01, "IN": 0.01, "ID": 0.01}

# --- names ----------------------------------------------------------------------------------------------
FAMILY_NAMES = ("KIM", "LEE", "PARK", "CHOI", "JUNG", "KANG", "CHO", "YOON", "JANG", "LIM", "HAN", "OH", "SEO",
                "SHIN", "KWON", "HWANG", "AHN", "SONG", "YOO", "HONG", "JEON", "KO", "MOON", "YANG", "SON")
GIVEN_NAMES = ("MINJUN", "SEOYEON", "JIHO", "SEOYUN", "DOYUN", "JIWOO", "HAJUN", "HAEUN", "EUNWOO", "SUAH",
               "JIHUN", "YEJIN", "HYUNWOO", "MINSEO", "JUNSEO", "CHAEWON", "SIWOO", "JIA", "YEJUN", "DAEUN",
               "SUNGMIN", "YUNA", "TAEYANG", "SOYEON", "JAEWON", "HYEJIN", "DONGHYUN", "EUNJI", "WOOJIN", "NARI")
FOREIGN_FAMILY = ("WANG", "LI", "ZHANG", "TANAKA", "SATO", "NGUYEN", "TRAN", "SMITH", "JOHNSON", "GARCIA",
                  "MUELLER", "SILVA", "SRISUK", "SANTOS", "CHEN", "LIN", "MARTIN", "BROWN", "IVANOV", "KHAN")
FOREIGN_GIVEN = ("WEI", "YUKI", "HIRO", "MINH", "ANH", "JOHN", "MARY", "CARLOS", "ANNA", "SOMCHAI", "MARIA",
                 "DAVID", "SOPHIE", "LUCAS", "EMMA", "ALEX", "JIN", "MEI", "OLGA", "RAJ")


def probs(mapping: dict) -> tuple[np.ndarray, np.ndarray]:
    """Keys and normalised probabilities of a {value: weight} table."""
    keys = np.array(list(mapping))
    weights = np.array(list(mapping.values()), dtype=float)
    return keys, weights / weights.sum()
