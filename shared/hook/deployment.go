package hook

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// Deployment is what the hook learned about the deployment it serves.
type Deployment struct {
	ID          string  `json:"id"`
	Application string  `json:"application,omitempty"`
	Group       string  `json:"deploymentGroup,omitempty"`
	AppSpec     AppSpec `json:"appSpec"`
}

// LoadDeployment reads the deployment and its AppSpec: from the
// deployment's own revision when it carries the content (AppSpecContent or
// the older String revision), otherwise from GetApplicationRevision.
func LoadDeployment(ctx context.Context, api DeploymentAPI, id string) (Deployment, error) {
	out, err := api.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		return Deployment{}, fmt.Errorf("get deployment %s: %w", id, err)
	}
	info := out.DeploymentInfo
	if info == nil {
		return Deployment{}, fmt.Errorf("get deployment %s: response has no deploymentInfo", id)
	}
	d := Deployment{ID: id, Application: aws.ToString(info.ApplicationName), Group: aws.ToString(info.DeploymentGroupName)}
	if info.ComputePlatform != "" && info.ComputePlatform != types.ComputePlatformLambda {
		return d, fmt.Errorf("deployment %s is for compute platform %s, not Lambda", id, info.ComputePlatform)
	}
	content, ok := revisionContent(info.Revision)
	if !ok {
		if info.Revision == nil {
			return d, fmt.Errorf("deployment %s has no revision", id)
		}
		rev, err := api.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{
			ApplicationName: info.ApplicationName,
			Revision:        info.Revision,
		})
		if err != nil {
			return d, fmt.Errorf("get application revision of deployment %s (application %s): %w", id, d.Application, err)
		}
		if content, ok = revisionContent(rev.Revision); !ok {
			return d, fmt.Errorf("application revision of deployment %s (application %s) carries no AppSpec content (revision type %s)",
				id, d.Application, revisionType(rev.Revision))
		}
	}
	spec, err := ParseAppSpec([]byte(content))
	if err != nil {
		return d, fmt.Errorf("AppSpec of deployment %s: %w", id, err)
	}
	d.AppSpec = spec
	return d, nil
}

// revisionContent returns the inline AppSpec of a revision, if any.
func revisionContent(r *types.RevisionLocation) (string, bool) {
	if r == nil {
		return "", false
	}
	if r.AppSpecContent != nil && aws.ToString(r.AppSpecContent.Content) != "" {
		return aws.ToString(r.AppSpecContent.Content), true
	}
	// Deployments created with the older String revision type still carry
	// their AppSpec there; CodeDeploy deprecated the type, not the data.
	//lint:ignore SA1019 the hook must read deployments made the old way
	if r.String_ != nil && aws.ToString(r.String_.Content) != "" {
		return aws.ToString(r.String_.Content), true //lint:ignore SA1019 as above
	}
	return "", false
}

func revisionType(r *types.RevisionLocation) string {
	if r == nil || r.RevisionType == "" {
		return "unknown"
	}
	return string(r.RevisionType)
}
