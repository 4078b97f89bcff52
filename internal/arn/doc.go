// Package arn parses and formats the Amazon Resource Names berth hands out,
// in ECS's long format:
//
//	arn:aws:ecs:us-east-1:000000000000:cluster/default
//	arn:aws:ecs:us-east-1:000000000000:task-definition/web:3
//	arn:aws:ecs:us-east-1:000000000000:task/default/f4cd53291b0049bfac550a351cbec150
//	arn:aws:ecs:us-east-1:000000000000:container-instance/default/64d7380b38dc436f8875acb3ab510071
//	arn:aws:ecs:us-east-1:000000000000:service/default/web
//
// It is the one place ARNs are built and taken apart; it imports nothing of
// berth's.
package arn
