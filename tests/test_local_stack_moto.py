"""The local stack's fix of moto's transactions (infra/localstack/moto_app.py): a
transaction backs up the items it names, not whole tables, so a PUT checksum or a PUT tag
costs the same with 10 or 2,000 images stored (issue 13), and a cancelled one still
leaves every item as it was."""
import copy
import os
import sys

import boto3
import pytest
from moto import mock_aws

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "infra"))
from localstack.moto_app import transactions_back_up_items_not_tables  # noqa: E402

ITEMS = 2000


@pytest.fixture
def table(env):
    transactions_back_up_items_not_tables()
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
        for number in range(ITEMS):
            client.put_item(TableName="t", Item={"k": {"S": str(number)}, "v": {"S": "old"}})
        yield client


def update(key: str, value: str) -> dict:
    return {"Update": {"TableName": "t", "Key": {"k": {"S": key}},
                       "UpdateExpression": "SET v = :v",
                       "ExpressionAttributeValues": {":v": {"S": value}}}}


def value(client, key: str):
    item = client.get_item(TableName="t", Key={"k": {"S": key}}).get("Item")
    return item and item["v"]["S"]


def test_a_transaction_copies_the_items_it_names_not_the_table(table, monkeypatch):
    from moto.dynamodb.models.dynamo_type import Item
    copies = []
    real = copy.deepcopy

    def counting(value, memo=None):
        if isinstance(value, Item):
            copies.append(value)
        return real(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counting)
    table.transact_write_items(TransactItems=[update("1", "new"), update("2", "new")])
    assert (value(table, "1"), value(table, "2")) == ("new", "new")
    assert len(copies) < 10                 # a few per item named, not one per item stored


def test_a_cancelled_transaction_leaves_every_item_as_it_was(table):
    with pytest.raises(table.exceptions.TransactionCanceledException):
        table.transact_write_items(TransactItems=[
            update("1", "changed"),
            {"Put": {"TableName": "t", "Item": {"k": {"S": "added"}, "v": {"S": "x"}}}},
            {"ConditionCheck": {"TableName": "t", "Key": {"k": {"S": "2"}},
                                "ConditionExpression": "attribute_not_exists(k)"}}])
    assert (value(table, "1"), value(table, "added"), value(table, "2")) == ("old", None, "old")
