"""Trader roles (数商) an organisation applies for at the exchange, approved by its operator."""

from __future__ import annotations

from enum import StrEnum


class TraderRole(StrEnum):
    SUPPLIER = "supplier"  # 数据提供方
    BUYER = "buyer"  # 数据需求方
    DELIVERY = "delivery"  # 数据交付服务商
    ASSESSOR = "assessor"  # 合规/质量评估机构
    INTERMEDIARY = "intermediary"  # 数据经纪/中介服务商


class MembershipStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
