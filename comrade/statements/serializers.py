"""Shapes of the JSON statements, for the OpenAPI schema and the `at=` balance. The statement
itself is streamed by renderers/text.py, which writes exactly these fields."""

from rest_framework import serializers

from comrade.core.money import MoneyOutField


class MovementSerializer(serializers.Serializer):
    date = serializers.DateField()
    created_at = serializers.DateTimeField()
    token = serializers.CharField()
    type = serializers.CharField()
    description = serializers.CharField()
    counterparty = serializers.CharField(help_text="The other wallet's owner, the group or the provider; may be empty.")
    amount = MoneyOutField(help_text="Signed: money in is positive, money out negative.")
    balance = MoneyOutField(help_text="The running balance after this movement.")


class WalletStatementSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["wallet", "group"])
    account = serializers.CharField()
    currency = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    opening_balance = MoneyOutField()
    closing_balance = MoneyOutField()
    movements = MovementSerializer(many=True)


class MemberTotalSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    email = serializers.EmailField()
    contributed = MoneyOutField()
    received = MoneyOutField()


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    rows = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))


class GroupStatementSerializer(WalletStatementSerializer):
    member_totals = MemberTotalSerializer(many=True)
    sections = SectionSerializer(many=True, help_text="Further tables, such as dues and arrears.")


class BalanceAtSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    balance = MoneyOutField()
    currency = serializers.CharField()
