"""v1 images to Registry v2 content (spec v2-pull §3–§6; chalicelib/images_v2): the carried
config and its acceptance rule (§4.7), the synthesized config (§6.5), the manifests and
content rows written when a tag is set, and the backfill for what needs layer bytes (§6.2)."""
import base64
import bz2
import gzip
import hashlib
import json
import lzma

import pytest

from conftest import PUSH_REPOSITORY
from v2_helpers import (EMPTY_TAR_DIFF_ID, OCI, SCHEMA2, V1, built_config, digest,
                        docker_1x_chain, push, random_layers, v1reg_chain)


def tag_record(name, tag):
    from chalicelib.store.models import Tag
    return Tag.get(name, tag, consistent_read=True)


def content(name):
    from chalicelib.store.models import Content
    return {row.digest: row for row in Content.query(name, consistent_read=True)}


def s3_object(settings, blob_digest) -> bytes:
    import boto3
    return boto3.client("s3").get_object(Bucket=settings.bucket, Key="blobs/sha256/"
                                         + blob_digest.split(":")[1])["Body"].read()


# ---- Go's encoding (images_v2/gojson.py) ----

def test_gojson_writes_strings_raw_values_and_times_as_go_does():
    from chalicelib.images_v2 import gojson
    assert gojson.string('a<b>&"\\\n\t\x01\u2028é') == \
        '"a\\u003cb\\u003e\\u0026\\"\\\\\\n\\t\\u0001\\u2028é"'
    assert gojson.compact('{ "b" : [1, 2.50, "x < y" ],\n "a":{"z":1, "y" :null}}') == \
        '{"b":[1,2.50,"x \\u003c y"],"a":{"z":1,"y":null}}'
    members = gojson.raw_members('{"b": 1e5, "a": {"z": 1, "y": 2}, "b": "last"}')
    assert members == {"b": '"last"', "a": '{"z":1,"y":2}'}
    assert gojson.map_object(members) == '{"a":{"z":1,"y":2},"b":"last"}'
    assert gojson.time("2015-05-01T10:00:00.120000000Z") == "2015-05-01T10:00:00.12Z"
    assert gojson.time("2015-05-01T10:00:00.000000000+00:00") == "2015-05-01T10:00:00Z"
    assert gojson.time("2015-05-01T10:00:00.5+02:00") == "2015-05-01T10:00:00.5+02:00"
    assert gojson.time("yesterday") == gojson.time(None) == "0001-01-01T00:00:00Z"


# ---- the carried config and its acceptance rule (§4.7) ----

def carried_top(config: bytes, **changes) -> tuple[str, dict]:
    top = {"id": hashlib.sha256(config).hexdigest(),
           "v1registry.v2.config": base64.b64encode(config).decode(), **changes}
    return top["id"], top


def test_carried_config_is_used_only_when_it_is_the_chains():
    from chalicelib.images_v2.configs import carried
    layers = random_layers(2)
    config = built_config(layers)
    diff_ids = [digest(layer) for layer in layers]
    top_id, top = carried_top(config)
    assert carried(top_id, top, diff_ids) == config
    # (a) its digest is the top id
    assert carried("0" * 64, top, diff_ids) is None
    # (b) rootfs of layers; (c) the chain's diff_ids in order; (d) a row per layer
    for broken in ({"rootfs": {"type": "other", "diff_ids": diff_ids}},
                   {"rootfs": {"type": "layers", "diff_ids": diff_ids[::-1]}},
                   {"history": json.loads(config)["history"][:1]}):
        other = json.dumps({**json.loads(config), **broken}).encode()
        assert carried(*carried_top(other), diff_ids) is None, broken
    assert carried(top_id, {**top, "v1registry.v2.config": "not base64!"}, diff_ids) is None
    assert carried(top_id, {"id": top_id}, diff_ids) is None


# ---- the synthesized config (§6.5) ----

def test_synthesized_config_is_docker_s_pull_v1_config_in_go_encoding():
    from chalicelib.images_v2.configs import synthesized
    lower = json.dumps({"id": "a" * 64, "created": "2015-05-01T10:00:00.000000001Z",
                        "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) ADD x"]},
                        "author": "me <me@example.com>"})
    top = json.dumps({"id": "b" * 64, "parent": "a" * 64, "Size": 3, "throwaway": True,
                      "created": "2015-05-02T00:00:00.50Z", "comment": "tagged",
                      "config": {"Env": ["A=<b>"], "Cmd": None}, "docker_version": "1.6.2",
                      "v1registry.v2.config": "ignored"}, indent=2)
    config = synthesized([lower, top], ["sha256:" + "c" * 64])
    assert config == (
        b'{"architecture":"amd64","comment":"tagged","config":{"Env":["A=\\u003cb\\u003e"],'
        b'"Cmd":null},"created":"2015-05-02T00:00:00.50Z","docker_version":"1.6.2",'
        b'"history":[{"created":"2015-05-01T10:00:00.000000001Z",'
        b'"author":"me \\u003cme@example.com\\u003e","created_by":"/bin/sh -c #(nop) ADD x"},'
        b'{"created":"2015-05-02T00:00:00.5Z","comment":"tagged","empty_layer":true}],'
        b'"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:' + b"c" * 64 + b'"]}}')
    assert synthesized([lower, top], ["sha256:" + "c" * 64]) == config      # every time


# ---- what a tag gets (images_v2/build.py, publish.py) ----

def test_tag_of_a_v1reg_push_serves_the_carried_config_and_its_layers(client, aws):
    layers = random_layers(2)
    config = built_config(layers)
    chain = v1reg_chain(config, layers)
    assert len(chain) == len(json.loads(config)["history"]) == 4      # a v1 image per row
    push(client.http, PUSH_REPOSITORY, "1", chain)

    tag = tag_record(PUSH_REPOSITORY, "1")
    manifest = json.loads(tag.manifest)
    assert manifest["mediaType"] == SCHEMA2
    assert manifest["config"] == {"mediaType": "application/vnd.docker.container.image.v1+json",
                                  "size": len(config), "digest": digest(config)}
    layered = [image for image in chain if b'"throwaway":true' not in image.json]
    assert [layer["digest"] for layer in manifest["layers"]] == [
        digest(image.layer) for image in layered]
    assert {layer["mediaType"] for layer in manifest["layers"]} == {
        "application/vnd.docker.image.rootfs.diff.tar.gzip"}
    assert tag.manifest.startswith('{\n   "schemaVersion": 2,\n   "mediaType"')  # docker's layout
    oci = json.loads(tag.oci_manifest)
    assert (oci["mediaType"], oci["config"]["digest"]) == (OCI, digest(config))
    assert {layer["mediaType"] for layer in oci["layers"]} == {
        "application/vnd.oci.image.layer.v1.tar+gzip"}

    rows = content(PUSH_REPOSITORY)
    assert set(rows) == {digest(config), digest(tag.manifest.encode()),
                         digest(tag.oci_manifest.encode()), *(digest(i.layer) for i in layered)}
    assert rows[digest(tag.manifest.encode())].manifest == tag.manifest
    assert rows[digest(config)].manifest is None and rows[digest(config)].size == len(config)
    assert s3_object(aws, digest(config)) == config


def test_a_carried_config_that_is_not_the_chains_is_replaced_by_a_synthesized_one(client):
    layers = random_layers(1)
    config = built_config(layers)
    chain = v1reg_chain(config, layers)
    forged = json.loads(chain[-1].json)
    forged["v1registry.v2.config"] = base64.b64encode(built_config(random_layers(1))).decode()
    chain[-1] = V1(chain[-1].id, json.dumps(forged).encode(), chain[-1].layer)
    push(client.http, PUSH_REPOSITORY, "forged", chain)
    served = json.loads(tag_record(PUSH_REPOSITORY, "forged").manifest)["config"]
    assert served["digest"] != digest(config)
    synthesized = json.loads(s3_config(client, served["digest"]))
    assert "v1registry.v2.config" not in synthesized
    assert synthesized["rootfs"]["diff_ids"] == [digest(layers[0])]


def s3_config(client, config_digest) -> bytes:
    from chalicelib import config
    return s3_object(config.settings(), config_digest)


def test_tag_of_a_docker_1x_push_gets_one_history_row_per_v1_image(client):
    layers = random_layers(2)
    chain = docker_1x_chain([*layers, b"\0" * 1024])  # docker 1.x: an empty tar, not throwaway
    push(client.http, PUSH_REPOSITORY, "old", chain)
    manifest = json.loads(tag_record(PUSH_REPOSITORY, "old").manifest)
    assert [layer["digest"] for layer in manifest["layers"]] == [digest(i.layer) for i in chain]
    config = json.loads(s3_config(client, manifest["config"]["digest"]))
    assert config["rootfs"]["diff_ids"] == [digest(layers[0]), digest(layers[1]),
                                            EMPTY_TAR_DIFF_ID]
    assert [row["created_by"] for row in config["history"]] == [
        f"/bin/sh -c #(nop) ADD layer{number}" for number in range(3)]
    assert config["config"] == {"Cmd": ["sh"], "Env": ["A=<b>&c"]}
    assert "Size" not in config and "id" not in config and "parent" not in config


def test_a_tag_moved_to_another_image_serves_that_image(client):
    first, second = docker_1x_chain(random_layers(1)), docker_1x_chain(random_layers(1))
    push(client.http, PUSH_REPOSITORY, "moving", first)
    before = tag_record(PUSH_REPOSITORY, "moving").manifest
    push(client.http, PUSH_REPOSITORY, "moving", second)
    after = tag_record(PUSH_REPOSITORY, "moving").manifest
    assert before != after
    assert json.loads(after)["layers"][0]["digest"] == digest(second[0].layer)


def test_a_failing_conversion_never_fails_the_v1_push(client, monkeypatch):
    from chalicelib.images_v2 import publish

    def broken(records):
        raise RuntimeError("a bug")
    monkeypatch.setattr(publish, "build", broken)
    push(client.http, PUSH_REPOSITORY, "still", docker_1x_chain(random_layers(1)))
    assert tag_record(PUSH_REPOSITORY, "still").manifest is None


def test_repository_delete_removes_its_v2_content(client):
    push(client.http, PUSH_REPOSITORY, "1", docker_1x_chain(random_layers(1)))
    assert content(PUSH_REPOSITORY)
    assert client.http.delete(f"/v1/repositories/{PUSH_REPOSITORY}/").status_code == 200
    assert content(PUSH_REPOSITORY) == {}


# ---- layers whose v2 form needs their bytes: the backfill (§6.2, §6.3) ----

@pytest.mark.parametrize("compress", [bz2.compress, lzma.compress], ids=["bzip2", "xz"])
def test_bzip2_and_xz_layers_get_a_gzip_copy_from_the_backfill(client, aws, compress):
    from chalicelib.images_v2.backfill import backfill
    tar = random_layers(1)[0]
    chain = docker_1x_chain([tar])
    chain = [V1(chain[0].id, chain[0].json, compress(tar))]
    push(client.http, PUSH_REPOSITORY, "packed", chain)
    assert tag_record(PUSH_REPOSITORY, "packed").manifest is None     # not in a request

    assert backfill(aws) == 0
    manifest = json.loads(tag_record(PUSH_REPOSITORY, "packed").manifest)
    (layer,) = manifest["layers"]
    assert layer["mediaType"] == "application/vnd.docker.image.rootfs.diff.tar.gzip"
    copy = s3_object(aws, layer["digest"])
    assert (digest(copy), len(copy)) == (layer["digest"], layer["size"])
    assert gzip.decompress(copy) == tar
    assert digest(chain[0].layer) != layer["digest"]       # the original stays as pushed
    assert layer["digest"] in content(PUSH_REPOSITORY)


def test_backfill_builds_tags_set_before_v2_and_unpacks_what_the_push_did_not(client, aws):
    from chalicelib.images_v2.backfill import backfill
    from chalicelib.store.models import Image, Tag
    chain = docker_1x_chain(random_layers(1))
    push(client.http, PUSH_REPOSITORY, "old", chain)
    # As before the v2 API: no manifests on the tag, and a layer never unpacked (or even
    # recorded before its compression was).
    Tag(PUSH_REPOSITORY, "old").update(actions=[Tag.manifest.remove(), Tag.oci_manifest.remove()])
    Image("ns", chain[0].id).update(actions=[Image.diff_id.remove(), Image.compression.remove()])
    assert backfill(aws) == 0
    assert json.loads(tag_record(PUSH_REPOSITORY, "old").manifest)["layers"][0]["digest"] == \
        digest(chain[0].layer)
    record = Image.get("ns", chain[0].id)
    assert (record.compression, record.diff_id) == ("gzip", digest(gzip.decompress(chain[0].layer)))
    assert backfill(aws) == 0                               # nothing left to do


def test_backfill_reports_what_it_cannot_convert(client, aws, capsys):
    from chalicelib.images_v2.backfill import backfill
    chain = docker_1x_chain([b"not a tar"])
    chain = [V1(chain[0].id, chain[0].json, b"\x28\xb5\x2f\xfd" + b"zstd frame")]
    push(client.http, PUSH_REPOSITORY, "zstd", chain)
    assert backfill(aws) == 1
    assert f"{PUSH_REPOSITORY}:zstd: no v2 manifest: the uncompressed digest of layer " \
        f"{chain[0].id[:12]} (zstd) is unknown" in capsys.readouterr().err
